"""The CSV exports beside the list pages: each a SELECT in exports/ that DuckDB writes straight to
the file (RFC 4180: a header row, CRLF, quotes where needed), so no list is held in memory.

The long ones (requests, calls, rejected rows) are not sorted here: the analysis stores those
tables in list order, and DuckDB keeps a table's order through a scan, a filter and COPY when
`preserve_insertion_order` is on (its "order preservation" rules), so an export streams in a
reader's small memory whatever the size of the data."""

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
        before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
        con.execute("SET preserve_insertion_order = true")
        try:
            con.execute(f"COPY ({query}) TO '{_literal(path)}' (FORMAT csv, HEADER, NEW_LINE '\\r\\n')")
        finally:  # RESET would set DuckDB's default, not the connection's own setting
            con.execute(f"SET preserve_insertion_order = {bool(before)}")

    writer.write_with(relative, copy)


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")
