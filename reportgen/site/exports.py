"""The CSV exports beside the list pages: each a SELECT in exports/ that DuckDB writes straight to
the file (RFC 4180: a header row, CRLF, quotes where needed), so no list is held in memory."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb

from . import urls
from .queries import DISCREPANCY_KINDS
from .writer import SiteWriter

# export name -> (its SELECT in exports/, output path)
EXPORTS = {
    "requests": ("requests.sql", urls.CSV_REQUESTS),
    "inference-calls": ("inference-calls.sql", urls.CSV_CALLS),
    "user-summary": ("user-summary.sql", urls.CSV_USERS),
    "rejected-rows": ("rejected-rows.sql", urls.CSV_REJECTED),
    "months": ("months.sql", urls.CSV_MONTHS),
    **{f"discrepancies-{kind}": ("discrepancies.sql", urls.csv_discrepancies(kind)) for kind in DISCREPANCY_KINDS},
}


def _sql(name: str) -> str:
    return (resources.files(__package__) / "exports" / name).read_text(encoding="utf-8")


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The exports' macros, on a reader's connection (temporary: the snapshot is not changed)."""
    con.execute(_sql("macros.sql"))


def write_export(con: duckdb.DuckDBPyConnection, writer: SiteWriter, name: str) -> None:
    sql_file, relative = EXPORTS[name]
    if name.startswith("discrepancies-"):
        con.execute("SET VARIABLE kind = ?", [name.removeprefix("discrepancies-")])
    query = _sql(sql_file).strip().rstrip(";")

    def copy(path: Path) -> None:
        con.execute(f"COPY ({query}) TO '{_literal(path)}' (FORMAT csv, HEADER, NEW_LINE '\\r\\n')")

    writer.write_with(relative, copy)


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")
