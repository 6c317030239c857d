"""Full-text search for the site (search.html): Pagefind's index of the pages that name users,
models and request ids, written into the site's pagefind/ folder by the Pagefind binary that the
`pagefind[bin]` package installs. Nothing is fetched, at build time or in the browser: the
search page loads Pagefind's script, its WebAssembly and the index from the site itself.

Only what the templates mark with `data-pagefind-body` is indexed, on the pages of GLOB: the
overview's models, each user's first page (id, handle, models) and the requests list pages (each
request's id, user and model), so the index grows with list pages, not with requests."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .writer import OutputError

FOLDER = "pagefind"  # of the site: Pagefind's script, WebAssembly and index
GLOB = "{index.html,requests/page-*.html,users/*/page-1.html}"


@dataclass(frozen=True)
class SearchIndex:
    files: int
    bytes: int
    seconds: float
    manifest: str  # sha256sum lines of the files written


def index_site(root: Path) -> SearchIndex:
    """Index the site below `root` into root/pagefind; one-line OutputError when Pagefind fails."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "pagefind", "--site", str(root), "--glob", GLOB, "--output-subdir", FOLDER,
               "--force-language", "en", "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as e:
        raise OutputError(f"cannot run Pagefind for the search index: {e.strerror}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise OutputError(f"Pagefind could not write the search index: {last}")
    lines, size = [], 0
    for folder, _, names in os.walk(root / FOLDER):
        for name in sorted(names):
            path = Path(folder, name)
            data = path.read_bytes()
            size += len(data)
            lines.append(f"{hashlib.sha256(data).hexdigest()}  {path.relative_to(root).as_posix()}\n")
    return SearchIndex(len(lines), size, time.perf_counter() - started, "".join(lines))
