"""A snapshot's manifest (`manifest.sha256`, sha256sum -c format): the render writes a line per
file as it writes it; here the files written outside the render are added, and a folder is
checked for completeness before it may be published."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..ingest.connection import SNAPSHOT_DB
from ..site import search, urls
from .publish import PublishError

MANIFEST = urls.MANIFEST
# Checked in the manifest before a snapshot may be published.
REQUIRED_FILES = [SNAPSHOT_DB, urls.INDEX, urls.META, urls.STYLESHEET, urls.api_user_page(1), urls.api_request_page(1),
                  urls.api_call_page(1), urls.users_page(1), urls.requests_page(1), urls.calls_page(1),
                  urls.DISCREPANCIES, urls.QUALITY, urls.HELP, urls.API_DOCS, urls.CHANGES, urls.API_CHANGES,
                  urls.MONTHS, urls.API_MONTHS, urls.SEARCH, urls.SEARCH_SCRIPT,
                  search.bundle_path(search.MAIN_BUNDLE) + "pagefind.js"]


class IncompleteSnapshot(PublishError):
    """A folder lacks its manifest or a required file: it must not be published."""


def add_file(folder: Path, relative: str) -> None:
    """Append one file written outside the render (the snapshot database) to the manifest."""
    digest = hashlib.sha256()
    with open(folder / relative, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    with open(folder / MANIFEST, "a", encoding="utf-8") as manifest:
        manifest.write(f"{digest.hexdigest()}  {relative}\n")


def check_complete(folder: Path, required: list[str] = REQUIRED_FILES) -> None:
    """Refuse to publish a folder whose manifest is missing or lacks a required file."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise IncompleteSnapshot(f"{folder} has no manifest ({MANIFEST}): not a complete snapshot")
    listed = {line.split("  ", 1)[1].rstrip("\n") for line in manifest.read_text(encoding="utf-8").splitlines(True)}
    missing = [r for r in required if r not in listed or not (folder / r).is_file()]
    if missing:
        raise IncompleteSnapshot(f"{folder} is incomplete: {', '.join(missing)} missing")


def verify(folder: Path) -> list[str]:
    """Paths whose content does not match the manifest, or that are missing; [] when complete."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return [MANIFEST]
    bad = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        digest, relative = line.split("  ", 1)
        path = folder / relative
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            bad.append(relative)
    return bad
