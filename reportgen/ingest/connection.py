"""The one way reportgen opens a snapshot's DuckDB file, and that file's name inside a snapshot."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

SNAPSHOT_DB = "snapshot.duckdb"


BUILDER_MEMORY = "1GB"
READER_MEMORY = "32MB"

WRITE_FAILURES = ("No space left on device", "Disk quota exceeded", "Read-only file system", "Permission denied")


class SnapshotWriteError(Exception):
    """The snapshot file cannot be written (disk full, permissions): one line, exit 6."""


@contextmanager
def writing(db_path: Path) -> Iterator[None]:
    """DuckDB's I/O failures while writing a snapshot -> SnapshotWriteError naming the file."""
    try:
        yield
    except duckdb.Error as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        io_failure = isinstance(e, duckdb.IOException | duckdb.FatalException | duckdb.OutOfMemoryException)
        # a commit that cannot write its log is a TransactionException: still the disk's fault
        if not io_failure and not any(cause in reason for cause in WRITE_FAILURES):
            raise
        raise SnapshotWriteError(f"cannot write the snapshot {db_path}: {reason}") from None


def connect(db_path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection that never reaches the network and reads times in UTC."""
    con = duckdb.connect(str(db_path), read_only=read_only, config={
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        # readers (render workers) keep a small page cache, so their memory does not grow with
        # the snapshot: their reads are range scans pruned to a few row groups, and the exports
        # stream without sorting (site/exports.py). At 100k requests 32 MB renders as fast as
        # 64 MB (35.2 s both, tmpfs) with a worker peak of 145 MB, not 170 MB; 16 MB is too
        # little for a page of request documents. The builder may use more before it spills to
        # `<snapshot>.tmp` beside the file (inside the staging folder), keeping the process
        # under 1.5 GiB at 1M requests
        "memory_limit": READER_MEMORY if read_only else BUILDER_MEMORY,
        # every reader orders by its own key (n), so tables need not keep insertion order: lets
        # DuckDB stream and spill large CREATE TABLE AS statements
        "preserve_insertion_order": False,
        # where a query spills: beside the file (inside the staging folder), one folder per
        # process, since DuckDB names its temp files the same in every process sharing a folder
        "temp_directory": f"{db_path}.tmp-{os.getpid()}",
    })
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB's own progress bar goes to stdout even without a terminal: cron would mail it
    con.execute("SET enable_progress_bar = false")
    return con
