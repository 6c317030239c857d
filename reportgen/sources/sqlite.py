"""sqlite:///path/to/file.db, read through DuckDB's sqlite scanner."""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import Source, SourceError, first_line, qualified, quote_literal
from .extensions import load_extension

CATALOG = "src"


class SQLiteSource(Source):
    kind = "sqlite"

    def __init__(self, path: str):
        self.path = Path(path)

    @property
    def label(self) -> str:
        return f"sqlite:{self.path.name}"

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        if not self.path.is_file():
            raise SourceError(f"SQLite file not found: {self.path}")
        try:
            load_extension(con, "sqlite")
            # SQLite is dynamically typed: one column can mix 17 and 'req-18'. Text takes them all.
            con.execute("SET sqlite_all_varchar = true")
            con.execute(f"ATTACH {quote_literal(str(self.path))} AS {CATALOG} (TYPE sqlite, READ_ONLY)")
            # the scanner opens the file lazily: list its tables now so a bad file fails here
            con.execute(f"SELECT count(*) FROM duckdb_tables() WHERE database_name = '{CATALOG}'").fetchall()
        except duckdb.Error as e:
            raise SourceError(f"cannot read SQLite file {self.path}: {first_line(e)}") from None

    def relation(self, table: str) -> str:
        return qualified(CATALOG, table)
