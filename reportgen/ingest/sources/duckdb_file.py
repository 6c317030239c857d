"""duckdb:///path/to/file.duckdb, attached read-only."""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import Source, SourceError, first_line, qualified, quote_literal

CATALOG = "src"


class DuckDBSource(Source):
    kind = "duckdb"

    def __init__(self, path: str):
        self.path = Path(path)

    @property
    def label(self) -> str:
        return f"duckdb:{self.path.name}"

    def attach(self, con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
        if not self.path.is_file():
            raise SourceError(f"DuckDB file not found: {self.path}")
        try:
            con.execute(f"ATTACH {quote_literal(str(self.path))} AS {CATALOG} (READ_ONLY)")
        except duckdb.Error as e:
            raise SourceError(f"cannot read DuckDB file {self.path}: {first_line(e)}") from None

    def relation(self, table: str) -> str:
        return qualified(CATALOG, table)
