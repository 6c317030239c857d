"""Writes a site's files below one root: never outside it, never the same path twice, and a
gzipped copy of every text file for servers that serve precompressed files; or hard-links an
unchanged file from the previous snapshot. A linked file is shared with that snapshot, so
nothing here ever opens an existing file for writing."""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Callable
from pathlib import Path


class OutputError(Exception):
    """The output folder cannot be written as asked (a path outside it, or written twice)."""


GZIP_SUFFIXES = (".html", ".json", ".css", ".svg")
# Smaller files get no .gz twin: a per-request page (~5 KiB) saves ~3 KiB on the wire, but a
# second file per page costs a file creation, the build's most expensive step.
GZIP_MIN_BYTES = 8192


class SiteWriter:
    def __init__(self, root: Path, gzip_copies: bool = True):
        self.root = root.resolve()
        self.gzip_copies = gzip_copies
        self._made: set[Path] = set()
        self.count = 0
        self.linked_paths: list[str] = []  # of what was counted, the files hard-linked (not in manifest)
        self.manifest: list[str] = []  # sha256sum lines of what was written

    def _path(self, relative: str) -> Path:
        """The path of `relative` inside root, its folder made; refuses anything that would leave it."""
        parts = relative.split("/")
        if (relative.startswith("/") or any(p in ("", ".", "..") for p in parts)
                or "\\" in relative or "\0" in relative):
            raise OutputError(f"refusing to write outside the output folder: {relative!r}")
        path = self.root.joinpath(*parts)
        if path.parent not in self._made:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise OutputError(f"cannot create {path.parent}: {e.strerror}") from None
            self._made.add(path.parent)
        return path

    def write_with(self, relative: str, produce: Callable[[Path], None]) -> None:
        """A file another tool writes (DuckDB's COPY): `produce(path)` writes it, then it is
        counted and hashed into the manifest like any other."""
        path = self._path(relative)
        if path.exists():
            raise OutputError(f"refusing to write {relative} twice")
        produce(path)
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        self.count += 1
        self.manifest.append(f"{digest.hexdigest()}  {relative}\n")

    def write(self, relative: str, text: str) -> None:
        path = self._path(relative)
        data = text.encode("utf-8")
        self._write_new(path, data, relative)
        if self.gzip_copies and path.suffix in GZIP_SUFFIXES and len(data) >= GZIP_MIN_BYTES:
            self._write_new(path.with_name(path.name + ".gz"), gzip.compress(data, 6, mtime=0), relative + ".gz")

    def _write_new(self, path: Path, data: bytes, relative: str) -> None:
        try:
            with open(path, "xb") as f:
                f.write(data)
        except FileExistsError:
            raise OutputError(f"refusing to write {relative} twice") from None
        except OSError as e:
            raise OutputError(f"cannot write {path}: {e.strerror}") from None
        self.count += 1
        # hashed while in memory: re-reading a million files for the manifest doubled the build
        self.manifest.append(f"{hashlib.sha256(data).hexdigest()}  {relative}\n")

    def link(self, relative: str, source_root: Path) -> bool:
        """Hard-link `relative` (and its .gz twin, if it has one there) from another snapshot's
        folder instead of writing it, as rsync --link-dest does. False, with nothing linked,
        when the source is missing; the caller then writes the file itself. Linked files are
        not hashed here (that would read each one back): their manifest lines are copied from
        the source's manifest afterwards (see `linked_paths`)."""
        path = self._path(relative)
        try:
            os.link(source_root / relative, path)
        except FileNotFoundError:
            return False
        except FileExistsError:
            raise OutputError(f"refusing to write {relative} twice") from None
        except OSError as e:
            raise OutputError(f"cannot link {path}: {e.strerror}") from None
        self.count += 1
        self.linked_paths.append(relative)
        try:
            os.link(source_root / (relative + ".gz"), path.with_name(path.name + ".gz"))
        except FileNotFoundError:
            return True
        except OSError as e:
            raise OutputError(f"cannot link {relative}.gz: {e.strerror}") from None
        self.count += 1
        self.linked_paths.append(relative + ".gz")
        return True

    def unlink(self, relative: str) -> None:
        """Take back a file this writer linked (when the rest of its group could not be)."""
        for name in (relative, relative + ".gz"):
            if name in self.linked_paths:
                (self.root / name).unlink()
                self.linked_paths.remove(name)
                self.count -= 1

    def take_manifest(self) -> str:
        lines, self.manifest = self.manifest, []
        return "".join(lines)

    def take_linked(self) -> list[str]:
        linked, self.linked_paths = self.linked_paths, []
        return linked
