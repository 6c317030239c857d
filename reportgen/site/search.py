"""Full-text search for the site (search.html): Pagefind's index of what names users, models and
request ids, written into the site's pagefind/ folder by the Pagefind binary that the
`pagefind[bin]` package installs. Nothing is fetched, at build time or in the browser: the
search page loads Pagefind's script, its WebAssembly and the index from the site itself.

Pagefind indexes HTML files, and its time grows with the bytes it parses: the site's own list
pages (every request's comparison and calls) are twenty times what the index needs. So while the
site renders, each page to be found writes a small source page beside it (its title and lines
of text, templates/_search_source.html) under SOURCE, at the page's own path, so that a result
links to the page; SOURCE is indexed, then removed. The pages found: the overview (its models),
each user's first page (id, handle, models) and the requests list pages (each request's id
alone: a user or a model is found on its own page, not on every list page that holds one of its
requests), so the index grows with list pages, not with requests.

Pagefind holds a whole index in memory: 1.1 GB for the list pages of 1M requests. So the pages
are indexed in bundles of at most PAGES_PER_BUNDLE list pages (USERS_PER_BUNDLE users), each by
its own Pagefind run into pagefind/<bundle>/ (about 110 MB for 100k requests), and the search
page merges them in the browser (Pagefind's mergeIndex). A bundle is indexed as soon as its source
pages are all written (Indexer): the requests bundles while the user pages and the calls list
still render, which at 100k requests was 2.9 s of one core after the last page."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .writer import OutputError

FOLDER = "pagefind"  # of the site: a folder per bundle, each with Pagefind's script, WebAssembly and index
SOURCE = ".search-pages"  # below the site's root while it renders, a folder per bundle: hidden, never published
PAGES_PER_BUNDLE = 1000  # requests list pages
USERS_PER_BUNDLE = 20000
MAIN_BUNDLE = "users-0"  # holds the overview too; search.html loads Pagefind's script from it


def request_page_bundle(number: int) -> str:
    """The bundle of the requests list page `number` (from 1)."""
    return f"requests-{(number - 1) // PAGES_PER_BUNDLE}"


def user_bundle(n: int) -> str:
    """The bundle of the user at `n` (from 0) in the user summary."""
    return f"users-{n // USERS_PER_BUNDLE}"


def request_bundles(request_pages: int) -> list[str]:
    """The bundles of the requests list pages, for that many of them."""
    return [request_page_bundle(n) for n in range(1, request_pages + 1, PAGES_PER_BUNDLE)]


def user_bundles(users: int) -> list[str]:
    """The bundles of the users' first pages (the main one, which holds the overview too, first)."""
    return [user_bundle(n) for n in range(0, max(users, 1), USERS_PER_BUNDLE)]


def bundles(request_pages: int, users: int) -> list[str]:
    """Every bundle of a site with that many requests list pages and users, the main one first."""
    return user_bundles(users) + request_bundles(request_pages)


def bundle_path(bundle: str) -> str:
    """The bundle's folder in the site, with its trailing slash."""
    return f"{FOLDER}/{bundle}/"


@dataclass(frozen=True)
class SearchIndex:
    files: int
    bytes: int
    seconds: float  # from the first Pagefind run's start to the last one's end
    manifest: str  # sha256sum lines of the files written
    waited: float = 0.0  # how long finish() took, after the last page: what the index added to the build


def write_source(root: Path, bundle: str, page: str, html: str) -> None:
    """What `bundle` holds of the site's `page` (a path below root), rendered by the caller."""
    path = root / SOURCE / bundle / page
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror}") from None


class Indexer:
    """The Pagefind runs of a site's bundles, each started (in the background, `processes` at a
    time) once its source pages are written, while the rest of the site renders. finish() waits
    for all of them, raises the first failure in the order they were started, and returns the
    index; close() (always) lets no run outlive the render and removes the source pages."""

    def __init__(self, root: Path, processes: int = 2):
        self.root = root
        self._runs = ThreadPoolExecutor(max(1, processes), thread_name_prefix="reportgen-pagefind")
        self._started: list[tuple[str, Future]] = []
        self._first: float | None = None

    def start(self, names: Iterable[str]) -> None:
        """Index these bundles, whose source pages are complete (a name started before is skipped)."""
        done = {name for name, _ in self._started}
        for name in names:
            if name not in done:
                self._first = self._first or time.perf_counter()
                self._started.append((name, self._runs.submit(_index_bundle, self.root, name)))
                done.add(name)

    def finish(self) -> SearchIndex:
        waiting = time.perf_counter()
        for _, run in self._started:
            run.result()
        ended = time.perf_counter()
        self.close()
        lines, size = [], 0
        for folder, _, files in os.walk(self.root / FOLDER):
            for name in sorted(files):
                path = Path(folder, name)
                data = path.read_bytes()
                size += len(data)
                lines.append(f"{hashlib.sha256(data).hexdigest()}  {path.relative_to(self.root).as_posix()}\n")
        return SearchIndex(len(lines), size, ended - (self._first or waiting), "".join(lines),
                           time.perf_counter() - waiting)

    def close(self) -> None:
        """Drop the runs not started yet, wait for those running, remove the source pages."""
        self._runs.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.root / SOURCE, ignore_errors=True)


def _index_bundle(root: Path, bundle: str) -> None:
    # through pagefind_run, so that a build killed alone takes its Pagefind runs with it
    command = [sys.executable, "-m", "reportgen.site.pagefind_run", str(os.getpid()),
               "--site", str(root / SOURCE / bundle), "--output-path", str(root / bundle_path(bundle)),
               "--force-language", "en", "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as e:
        raise OutputError(f"cannot run Pagefind for the search index: {e.strerror}") from None
    if done.returncode != 0:
        said = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        reason = next((line for line in said if line.startswith("Error")), said[-1] if said else
                      f"exit status {done.returncode}")
        raise OutputError(f"Pagefind could not write the search index ({bundle}): {reason}")
