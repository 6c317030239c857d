"""Where the usage tables come from: one module per kind of source, one `Source` interface.

A source attaches itself to a DuckDB connection and names, for each input table, a SQL
relation to scan. Every kind is read by DuckDB's own readers, never row by row in Python.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import duckdb


class SourceError(Exception):
    """The source cannot be read at all. The message is one line and never holds credentials."""


class Source(ABC):
    kind: str  # sqlite | postgresql | duckdb | files

    @property
    @abstractmethod
    def label(self) -> str:
        """What the report may show about the source: never a password."""

    @abstractmethod
    def attach(self, con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
        """Make the source's tables scannable from `con`; raise SourceError when it cannot be read.
        `scratch` is a folder for temporary copies, removed with the build's staging folder."""

    @abstractmethod
    def relation(self, table: str) -> str:
        """A SQL relation (for FROM) that scans `table` as named in the source."""

    def hex_relation(self, table: str) -> str | None:
        """A relation scanning `table` with every value as the hex of its bytes, for a source
        holding text that is not valid UTF-8; None where the source cannot give one (then such a
        source cannot be read)."""
        return None

    def scrub(self, text: str) -> str:
        """`text` with any credential of this source masked (most sources have none)."""
        return text

    def close(self) -> None:  # noqa: B027 - most sources hold nothing to release
        """Release what attach() took (temporary copies); the connection is closed by the caller."""

    def columns(self, con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
        """Column names of `table`; SourceError when the table does not exist."""
        try:
            rows = con.execute(f"DESCRIBE SELECT * FROM {self.relation(table)}").fetchall()
        except duckdb.Error as e:
            raise SourceError(f"cannot read table {table!r} from {self.label}: "
                              f"{self.scrub(first_line(e))}") from None
        return [row[0] for row in rows]


def open_source(location: str, timeout: float = 30.0) -> Source:
    """Pick the source kind from `location` (a URL or a folder of files). `timeout`: seconds to
    wait for a SQLite file another program holds locked."""
    from . import duckdb_file, files, postgres, sqlite

    if location.startswith("sqlite://"):
        return sqlite.SQLiteSource(_path_of(location, "sqlite://"), timeout)
    if location.startswith("duckdb://"):
        return duckdb_file.DuckDBSource(_path_of(location, "duckdb://"))
    if location.startswith(("postgresql://", "postgres://")):
        return postgres.PostgresSource(location)
    if "://" in location:
        scheme = location.split("://", 1)[0]
        raise SourceError(
            f"unknown source kind {scheme!r}: use sqlite:///, duckdb:///, postgresql:// or a folder"
        )
    return files.FileSource(location)


def _path_of(url: str, prefix: str) -> str:
    """sqlite:///abs/path and sqlite:////abs/path (SQLAlchemy's spelling) -> /abs/path;
    sqlite://rel/path -> rel/path. The rest is a file name as it is: no percent-decoding, and
    `?`, `#` and `%` are characters of the name."""
    path = url[len(prefix):]
    if not path:
        raise SourceError(f"no file path in {url!r}")
    return "/" + path.lstrip("/") if path.startswith("/") else path


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def qualified(catalog: str, table: str) -> str:
    """catalog + a possibly schema-qualified table name ("analytics.usage") as quoted SQL."""
    return ".".join(quote_ident(part) for part in [catalog, *table.split(".")])


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
