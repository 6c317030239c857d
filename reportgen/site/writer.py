"""Writes a site's files below one root: never outside it, never the same path twice, and a
gzipped copy of every text file for servers that serve precompressed files; or hard-links an
unchanged file from the previous snapshot. A linked file is shared with that snapshot, so
nothing here ever opens an existing file for writing."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from isal import igzip


class OutputError(Exception):
    """The output folder cannot be written as asked (a path outside it, or written twice)."""


GZIP_SUFFIXES = (".html", ".json", ".css", ".svg")
# Smaller files get no .gz twin: a per-request page (~5 KiB) saves ~3 KiB on the wire, but a
# second file per page costs a file creation, the build's most expensive step.
GZIP_MIN_BYTES = 8192
# ISA-L's deflate at level 1, not zlib's level 6: a build's 1,358 twins at 10k requests (119 MB of
# list pages) compress in 0.15 s instead of 1.5 s, to 10.8 % of their size instead of 8.4 %
GZIP_LEVEL = 1
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


class SiteWriter:
    def __init__(self, root: Path, gzip_copies: bool = True):
        self.root = root.resolve()
        self._base = str(self.root) + os.sep
        self.gzip_copies = gzip_copies
        self._made: set[str] = set()
        self.count = 0
        self.linked_paths: list[str] = []  # of what was counted, the files hard-linked (not in manifest)
        self.manifest: list[str] = []  # sha256sum lines of what was written

    def _path(self, relative: str) -> str:
        """The path of `relative` inside root, its folder made; refuses anything that would leave it.
        Plain strings, not pathlib: a build writes a million files, and pathlib's parsing and
        joining cost more than creating the file does."""
        if (not relative or relative[0] == "/" or "\\" in relative or "\0" in relative
                or any(p in ("", ".", "..") for p in relative.split("/"))):
            raise OutputError(f"refusing to write outside the output folder: {relative!r}")
        folder = relative.rpartition("/")[0]
        if folder not in self._made:
            try:
                os.makedirs(self._base + folder, exist_ok=True)
            except OSError as e:
                raise OutputError(f"cannot create {self._base + folder}: {e.strerror}") from None
            self._made.add(folder)
        return self._base + relative

    def write_with(self, relative: str, produce: Callable[[Path], None]) -> None:
        """A file another tool writes (DuckDB's COPY): `produce(path)` writes it, then it is
        counted and hashed into the manifest like any other."""
        path = self._path(relative)
        if os.path.exists(path):
            raise OutputError(f"refusing to write {relative} twice")
        produce(Path(path))
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
        if self.gzip_copies and len(data) >= GZIP_MIN_BYTES and relative.endswith(GZIP_SUFFIXES):
            self._write_new(path + ".gz", igzip.compress(data, GZIP_LEVEL, mtime=0), relative + ".gz")

    def _write_new(self, path: str, data: bytes, relative: str) -> None:
        """A new file (never an existing one, which may be shared with another snapshot):
        os.open and os.write, a quarter of what open()'s buffered file costs here."""
        try:
            fd = os.open(path, NEW_FILE, 0o666)
        except FileExistsError:
            raise OutputError(f"refusing to write {relative} twice") from None
        except OSError as e:
            raise OutputError(f"cannot write {path}: {e.strerror}") from None
        try:
            view = memoryview(data)
            while view:  # os.write may write less than asked (a full disk, a signal)
                view = view[os.write(fd, view):]
        except OSError as e:
            raise OutputError(f"cannot write {path}: {e.strerror}") from None
        finally:
            os.close(fd)
        self.count += 1
        # hashed while in memory: re-reading a million files for the manifest doubled the build
        self.manifest.append(f"{hashlib.sha256(data).hexdigest()}  {relative}\n")

    def link(self, relative: str, source_root: Path | str) -> bool:
        """Hard-link `relative` (and its .gz twin, if write() would have made one) from another snapshot's
        folder instead of writing it, as rsync --link-dest does. False, with nothing linked,
        when the source is missing; the caller then writes the file itself. Linked files are
        not hashed here (that would read each one back): their manifest lines are copied from
        the source's manifest afterwards (see `linked_paths`)."""
        path = self._path(relative)
        source = f"{source_root}{os.sep}{relative}"  # a string: pathlib cost more than the link here
        try:
            os.link(source, path)
        except FileNotFoundError:
            return False
        except FileExistsError:
            raise OutputError(f"refusing to write {relative} twice") from None
        except OSError as e:
            raise OutputError(f"cannot link {path}: {e.strerror}") from None
        self.count += 1
        self.linked_paths.append(relative)
        if not (relative.endswith(GZIP_SUFFIXES) and os.stat(path).st_size >= GZIP_MIN_BYTES):
            # what write() gives no twin: a stat, cheaper than a link that fails (5 against 14 us),
            # and a stray .gz beside the source is not carried over
            return True
        try:
            os.link(source + ".gz", path + ".gz")
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
