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
user and model), so the index grows with list pages, not with requests."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .writer import OutputError

FOLDER = "pagefind"  # of the site: Pagefind's script, WebAssembly and index
SOURCE = ".search-pages"  # below the site's root while it renders: hidden, never published


@dataclass(frozen=True)
class SearchIndex:
    files: int
    bytes: int
    seconds: float
    manifest: str  # sha256sum lines of the files written


def write_source(root: Path, page: str, html: str) -> None:
    """What the index holds of the site's `page` (a path below root), rendered by the caller."""
    path = root / SOURCE / page
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror}") from None


def index_site(root: Path) -> SearchIndex:
    """Index the source pages written below `root` into root/pagefind and remove them; a
    one-line OutputError when Pagefind fails."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "pagefind", "--site", str(root / SOURCE), "--output-path", str(root / FOLDER),
               "--force-language", "en", "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as e:
        raise OutputError(f"cannot run Pagefind for the search index: {e.strerror}") from None
    finally:
        shutil.rmtree(root / SOURCE, ignore_errors=True)
    if done.returncode != 0:
        said = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        reason = next((line for line in said if line.startswith("Error")), said[-1] if said else
                      f"exit status {done.returncode}")
        raise OutputError(f"Pagefind could not write the search index: {reason}")
    lines, size = [], 0
    for folder, _, names in os.walk(root / FOLDER):
        for name in sorted(names):
            path = Path(folder, name)
            data = path.read_bytes()
            size += len(data)
            lines.append(f"{hashlib.sha256(data).hexdigest()}  {path.relative_to(root).as_posix()}\n")
    return SearchIndex(len(lines), size, time.perf_counter() - started, "".join(lines))
