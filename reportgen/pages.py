"""What each page and API file is made of, read from a snapshot's analysis tables as plain
Python data (dicts, lists, Decimals, ISO strings): templates never see a database handle.

List rows are fetched as the JSON text the analysis wrote (api_* tables), so the API files and
the HTML pages show the very same values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import duckdb

from . import __version__, urls
from .paginate import Page, pages

# api_* table -> (JSON column, how to read the list) for every paginated list of the API
LISTS = {
    "users": ("api_users", "item"),
    "requests": ("api_requests", "item"),
    "calls": ("api_calls", "item"),
}

ISO_UTC = "strftime({0} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f') || '+00:00'"


def parse_item(text: str) -> dict[str, Any]:
    """JSON text of one row -> dict; prices stay exact Decimals."""
    return json.loads(text, parse_float=Decimal)


def list_total(con: duckdb.DuckDBPyConnection, name: str) -> int:
    table, _ = LISTS[name]
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def list_pages(con: duckdb.DuckDBPyConnection, name: str, page_size: int) -> list[Page]:
    return pages(list_total(con, name), page_size)


def page_items_json(con: duckdb.DuckDBPyConnection, name: str, start: int, stop: int) -> list[str]:
    """JSON text of rows start..stop-1 of a list, in display order."""
    table, column = LISTS[name]
    rows = con.execute(f"SELECT {column} FROM {table} WHERE n >= ? AND n < ? ORDER BY n", [start, stop])
    return [row[0] for row in rows.fetchall()]


def envelope_json(page: Page, items_json: list[str]) -> str:
    """The API's page envelope, joined as text so the items' exact decimals are kept."""
    return (f'{{"page":{page.number},"pages":{page.pages},"total":{page.total},"items":['
            + ",".join(items_json) + "]}")


def request_documents(con: duckdb.DuckDBPyConnection, start: int, stop: int) -> Iterator[tuple[str, str, str]]:
    """(request id, request document, by-usage document) for requests start..stop-1."""
    rows = con.execute(
        "SELECT id, request_doc, calls_doc FROM api_requests WHERE n >= ? AND n < ? ORDER BY n", [start, stop]
    )
    while batch := rows.fetchmany(1000):
        yield from batch


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    rows = con.execute(
        "SELECT table_name, rows_read, rows_accepted, rows_rejected FROM table_counts ORDER BY table_name DESC"
    ).fetchall()
    return {t: {"rows_read": r, "rows_accepted": a, "rows_rejected": j} for t, r, a, j in rows}


def meta(con: duckdb.DuckDBPyConnection, page_size: int) -> dict[str, Any]:
    """api/meta.json: provenance of the snapshot. Holds the source's kind and a label that never
    carries credentials."""
    (snapshot_id, generated_at, kind, label, version, timezone, tolerance, title) = con.execute(
        "SELECT snapshot_id, generated_at, source_kind, source_label, tool_version, timezone, "
        "price_tolerance, title FROM snapshot_meta"
    ).fetchone()
    return {
        "snapshot_id": snapshot_id,
        "generated_at": generated_at,
        "source_kind": kind,
        "source_label": label,
        "tables": table_counts(con),
        "tool_version": version or __version__,
        "title": title,
        "timezone": timezone,
        "price_tolerance": float(tolerance),
        "page_size": page_size,
        "id_encoding": urls.ID_ENCODING,
    }


def headline(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    columns = ("requests", "users", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
               "price", "requests_with_discrepancy", "inference_calls", "rows_rejected")
    stamps = ("first_request_at", "last_request_at")
    select = ", ".join([*columns, *(ISO_UTC.format(s) for s in stamps)])
    row = con.execute(f"SELECT {select} FROM headline").fetchone()
    return dict(zip((*columns, *stamps), row))
