"""sqlite:///path/to/file.db, read through DuckDB's sqlite scanner from a consistent copy.

The product keeps writing while a report is built. SQLite's backup API copies the whole file as
of one moment (retrying if a write interleaves), so both tables are read as of that moment:
rows written during the build cannot show up as spurious orphans or requests without calls."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import duckdb

from ..connection import SnapshotWriteError
from . import Source, SourceError, first_line, qualified, quote_ident, quote_literal
from .extensions import load_extension

CATALOG = "src"
HEX_VIEW = "reportgen_hex:"  # + table name: a view of the copy with every value as hex(value)


def _add_hex_views(copy: Path) -> None:
    """SQLite stores any bytes as TEXT, and DuckDB refuses text that is not valid UTF-8. The copy
    gets, for each table, a view of the hex of every value, read only when the plain read fails,
    so that such a value becomes a rejected row (bad_encoding) instead of a failed build."""
    con = sqlite3.connect(copy)
    try:
        tables = [row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1] for row in con.execute(f"PRAGMA table_info({quote_ident(table)})")]
            hexed = ", ".join(f"CASE WHEN {quote_ident(c)} IS NULL THEN NULL ELSE hex({quote_ident(c)}) END "
                              f"AS {quote_ident(c)}" for c in columns)
            con.execute(f"CREATE VIEW {quote_ident(HEX_VIEW + table)} AS SELECT {hexed} FROM {quote_ident(table)}")
        con.commit()
    finally:
        con.close()


class SQLiteSource(Source):
    kind = "sqlite"

    def __init__(self, path: str, timeout: float = 30.0):
        self.path = Path(path)
        self.timeout = timeout
        self._copy_dir: str | None = None

    @property
    def label(self) -> str:
        return f"sqlite:{self.path.name}"

    def attach(self, con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
        if not self.path.is_file():
            raise SourceError(f"SQLite file not found: {self.path}")
        copy = self._consistent_copy(scratch)
        try:
            load_extension(con, "sqlite")
            # SQLite is dynamically typed: one column can mix 17 and 'req-18'. Text takes them all.
            con.execute("SET sqlite_all_varchar = true")
            con.execute(f"ATTACH {quote_literal(str(copy))} AS {CATALOG} (TYPE sqlite, READ_ONLY)")
            # the scanner opens the file lazily: list its tables now so a bad file fails here
            con.execute(f"SELECT count(*) FROM duckdb_tables() WHERE database_name = '{CATALOG}'").fetchall()
        except duckdb.Error as e:
            raise SourceError(f"cannot read SQLite file {self.path}: {first_line(e)}") from None

    def _consistent_copy(self, scratch: Path) -> Path:
        """A copy inside the build's scratch folder (a killed build's copy goes with its staging
        folder, never left in /tmp), read as of one moment, waiting at most `timeout` seconds for
        another program's lock."""
        self._copy_dir = tempfile.mkdtemp(prefix=".sqlite-copy-", dir=scratch)
        copy = Path(self._copy_dir) / "copy.db"
        deadline = time.monotonic() + self.timeout

        def give_up_after_timeout(status: int, remaining: int, total: int) -> None:
            if time.monotonic() > deadline:
                raise TimeoutError

        try:
            # read-only by a URI the library builds: '?', '#' and '%' in the name stay the name's
            # own, and nothing is ever created next to the source
            source = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True, timeout=self.timeout)
            target = sqlite3.connect(copy)
            try:
                # all pages in one step, under one read lock; retried while the file is locked
                source.backup(target, progress=give_up_after_timeout, sleep=0.1)
            finally:
                target.close()
                source.close()
            _add_hex_views(copy)
        except TimeoutError:
            self.close()
            raise SourceError(f"SQLite file {self.path} stayed locked by another program for "
                              f"{self.timeout:g} s (source_timeout)") from None
        except sqlite3.Error as e:
            self.close()
            if "disk is full" in str(e):
                raise SnapshotWriteError(f"cannot copy {self.path} into {scratch}: no space left on device") from None
            message = "locked by another program" if "locked" in str(e) else str(e)
            raise SourceError(f"cannot read SQLite file {self.path}: {message}") from None
        return copy

    def relation(self, table: str) -> str:
        return qualified(CATALOG, table)

    def hex_relation(self, table: str) -> str:
        return qualified(CATALOG, HEX_VIEW + table)

    def close(self) -> None:
        if self._copy_dir:
            shutil.rmtree(self._copy_dir, ignore_errors=True)
            self._copy_dir = None
