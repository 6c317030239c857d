"""postgresql://user[:password]@host[:port]/db, read through DuckDB's postgres scanner.

The password may come from the URL, PGPASSWORD or a .pgpass file (libpq reads both). It never
appears in labels or error messages: every message from the driver is scrubbed before use.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb

from . import Source, SourceError, first_line, qualified, quote_literal
from .extensions import load_extension

CATALOG = "src"


class PostgresSource(Source):
    kind = "postgresql"

    def __init__(self, url: str):
        self.url = url
        parts = urlsplit(url)
        self._secrets = [s for s in (parts.password, unquote(parts.password or "")) if s]
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        self._label = f"postgresql://{host}{port}{parts.path}"

    @property
    def label(self) -> str:
        return self._label

    def scrub(self, text: str) -> str:
        text = text.replace(self.url, self._label)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def attach(self, con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
        try:
            load_extension(con, "postgres")
            con.execute(f"ATTACH {quote_literal(self.url)} AS {CATALOG} (TYPE postgres, READ_ONLY)")
        except duckdb.Error as e:
            raise SourceError(f"cannot connect to {self.label}: {self.scrub(first_line(e))}") from None

    def relation(self, table: str) -> str:
        return qualified(CATALOG, table)
