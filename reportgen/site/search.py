"""Full-text search for the site (search.html): Pagefind's index of what names users, models and
request ids, written into the site's pagefind/ folder by the Pagefind binary that the
`pagefind[bin]` package installs. Nothing is fetched, at build time or in the browser: the
search page loads Pagefind's script, its WebAssembly and the index from the site itself.

Pagefind indexes HTML files, and its time grows with the bytes it parses: the site's own list
pages (every request's comparison and calls) are twenty times what the index needs. So while the
site renders, each page to be found writes a small source page beside it (its title and lines
of text, templates/_search_source.html) under SOURCE, at the page's own path, so that a result
links to the page; SOURCE is indexed, then removed. The pages found: the overview (its models),
each user's first page (id, handle, models) and the requests list pages (each request's id,
user and model), so the index grows with list pages, not with requests.

Pagefind holds a whole index in memory: 4.4 GB for the list pages of 1M requests. So the pages
are indexed in bundles of at most PAGES_PER_BUNDLE list pages (USERS_PER_BUNDLE users), each by
its own Pagefind run into pagefind/<bundle>/ (about 300 MB for 50k requests), and the search
page merges them in the browser (Pagefind's mergeIndex)."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
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


def bundles(request_pages: int, users: int) -> list[str]:
    """Every bundle of a site with that many requests list pages and users, the main one first."""
    return ([user_bundle(n) for n in range(0, max(users, 1), USERS_PER_BUNDLE)]
            + [request_page_bundle(n) for n in range(1, request_pages + 1, PAGES_PER_BUNDLE)])


def bundle_path(bundle: str) -> str:
    """The bundle's folder in the site, with its trailing slash."""
    return f"{FOLDER}/{bundle}/"


@dataclass(frozen=True)
class SearchIndex:
    files: int
    bytes: int
    seconds: float
    manifest: str  # sha256sum lines of the files written


def write_source(root: Path, bundle: str, page: str, html: str) -> None:
    """What `bundle` holds of the site's `page` (a path below root), rendered by the caller."""
    path = root / SOURCE / bundle / page
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror}") from None


def index_site(root: Path, names: list[str], processes: int = 2) -> SearchIndex:
    """Index the source pages written below `root` into root/pagefind/<bundle>/, one Pagefind
    run per bundle of `names`, `processes` of them at a time (a run keeps about one core busy),
    and remove them; a one-line OutputError when Pagefind fails."""
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max(1, processes)) as runs:
            # list(): waits for every run, and raises the first failure in bundle order
            list(runs.map(functools.partial(_index_bundle, root), names))
    finally:
        shutil.rmtree(root / SOURCE, ignore_errors=True)
    lines, size = [], 0
    for folder, _, files in os.walk(root / FOLDER):
        for name in sorted(files):
            path = Path(folder, name)
            data = path.read_bytes()
            size += len(data)
            lines.append(f"{hashlib.sha256(data).hexdigest()}  {path.relative_to(root).as_posix()}\n")
    return SearchIndex(len(lines), size, time.perf_counter() - started, "".join(lines))


def _index_bundle(root: Path, bundle: str) -> None:
    command = [sys.executable, "-m", "pagefind", "--site", str(root / SOURCE / bundle),
               "--output-path", str(root / bundle_path(bundle)), "--force-language", "en", "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as e:
        raise OutputError(f"cannot run Pagefind for the search index: {e.strerror}") from None
    if done.returncode != 0:
        said = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        reason = next((line for line in said if line.startswith("Error")), said[-1] if said else
                      f"exit status {done.returncode}")
        raise OutputError(f"Pagefind could not write the search index ({bundle}): {reason}")
