"""The one way reportgen opens a snapshot's DuckDB file, and that file's name inside a snapshot."""

from __future__ import annotations

from pathlib import Path

import duckdb

SNAPSHOT_DB = "snapshot.duckdb"


def connect(db_path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection that never reaches the network and reads times in UTC."""
    con = duckdb.connect(str(db_path), read_only=read_only, config={
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        # readers (render workers) keep a small page cache, so their memory does not grow with
        # the snapshot; the builder may use more before it spills to disk
        "memory_limit": "256MB" if read_only else "2GB",
    })
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB's own progress bar goes to stdout even without a terminal: cron would mail it
    con.execute("SET enable_progress_bar = false")
    return con
