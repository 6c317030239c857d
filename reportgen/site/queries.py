"""What each page and API file is made of, read from a snapshot's analysis tables as plain
Python data (dicts, lists, Decimals, ISO strings): templates never see a database handle.

Rows are fetched as the JSON text the analysis wrote (api_* tables): the API files are that
text, and the HTML pages are rendered from the same text parsed, so both show the same values.

Page contexts (every page also gets `title`, `meta`, `path` and `nav`, see `base_context`):
    index.html               headline, daily (chart), models, top_users, users, users_pager, notes_html
    users/page-N.html        users, pager
    users/<id>/page-N.html   user, daily (chart), models, requests, pager
    requests/page-N.html     requests, pager
    requests/<id>.html       request
    calls/page-N.html        calls, pager
    calls/by-usage/<id>.html request, calls
    discrepancies/index.html kinds
    discrepancies/<kind>/page-N.html  kind, requests, pager
    quality/index.html       tables, reasons, examples
    quality/page-N.html      rejected, pager
    help.html                help_html
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import groupby
from typing import Any

import duckdb

from .. import __version__
from . import urls
from .paginate import Page, pages

TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
FIGURES = (*TOKENS, "price")
FIGURE_LABELS = {"input_tokens": "Input tokens", "output_tokens": "Output tokens",
                 "cache_read_tokens": "Cache read tokens", "cache_write_tokens": "Cache write tokens",
                 "price": "Price (USD)"}
DISCREPANCY_KINDS = {
    "tokens": "a token count in usage differs from the sum over its inference calls",
    "price": "the usage price differs from the sum over its inference calls by more than the tolerance",
    "no_calls": "a usage row with no inference calls at all",
    "orphan": "inference calls whose usage row is missing (shown as a synthetic request)",
}

# list name -> (api_* table, JSON column)
LISTS = {
    "users": ("api_users", "item"),
    "requests": ("api_requests", "item"),
    "calls": ("api_calls", "item"),
    "rejected": ("api_rejected", "item"),
}
NAV = [("Overview", urls.INDEX), ("Users", urls.users_page(1)), ("Requests", urls.requests_page(1)),
       ("Inference calls", urls.calls_page(1)), ("Discrepancies", urls.DISCREPANCIES),
       ("Data quality", urls.QUALITY), ("How to read this report", urls.HELP)]

ISO_UTC = "strftime({0} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f') || '+00:00'"


def parse_item(text: str) -> dict[str, Any]:
    """JSON text of one row -> dict; prices stay exact Decimals."""
    return json.loads(text, parse_float=Decimal)


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# --- lists and the JSON API -------------------------------------------------------------------

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


def request_docs_of_list(con: duckdb.DuckDBPyConnection, start: int, stop: int) -> list[dict[str, Any]]:
    """Requests start..stop-1 of the requests list, each with its calls, for the HTML list."""
    rows = con.execute("SELECT request_doc FROM api_requests WHERE n >= ? AND n < ? ORDER BY n", [start, stop])
    return [request_view(parse_item(doc)) for (doc,) in rows.fetchall()]


def discrepancy_totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = dict(con.execute("SELECT kind, count(*) FROM api_discrepancies GROUP BY kind").fetchall())
    return {kind: counts.get(kind, 0) for kind in DISCREPANCY_KINDS}


def discrepancy_requests(con: duckdb.DuckDBPyConnection, kind: str, start: int, stop: int) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT a.request_doc FROM api_discrepancies d JOIN api_requests a ON a.n = d.request_n "
        "WHERE d.kind = ? AND d.n >= ? AND d.n < ? ORDER BY d.n", [kind, start, stop])
    return [request_view(parse_item(doc)) for (doc,) in rows.fetchall()]


def users_with_requests(con: duckdb.DuckDBPyConnection, start: int, stop: int) -> Iterator[tuple[dict, list]]:
    """(user row, that user's requests with their calls, newest first) for users start..stop-1
    of the user summary, streamed one user at a time."""
    users = {row[0]: parse_item(row[1]) for row in con.execute(
        "SELECT user_id, item FROM api_users WHERE n >= ? AND n < ? ORDER BY n", [start, stop]).fetchall()}
    rows = con.execute(
        "SELECT a.user_id, a.request_doc FROM api_requests a JOIN api_users u ON u.user_id = a.user_id "
        "WHERE u.n >= ? AND u.n < ? ORDER BY u.n, a.user_n", [start, stop])

    def stream() -> Iterator[tuple[str, str]]:
        while batch := rows.fetchmany(1000):
            yield from batch

    for user_id, group in groupby(stream(), key=lambda row: row[0]):
        yield users[user_id], [request_view(parse_item(doc)) for _, doc in group]


def user_ids(con: duckdb.DuckDBPyConnection, start: int, stop: int) -> list[str]:
    rows = con.execute("SELECT user_id FROM api_users WHERE n >= ? AND n < ? ORDER BY n", [start, stop])
    return [r[0] for r in rows.fetchall()]


def user_request_counts(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Requests per user, in user summary order (to cut user pages into even tasks)."""
    return [r[0] for r in con.execute("SELECT requests FROM user_summary ORDER BY price DESC, user_id").fetchall()]


def user_daily(con: duckdb.DuckDBPyConnection, user_ids: list[str]) -> dict[str, list[dict]]:
    rows = con.execute("SELECT user_id, day::VARCHAR AS day, requests, price FROM user_daily "
                       "WHERE list_contains(?, user_id) ORDER BY user_id, day", [user_ids])
    return {uid: [{k: v for k, v in r.items() if k != "user_id"} for r in group]
            for uid, group in groupby(_dicts(rows), key=lambda r: r["user_id"])}


def user_models(con: duckdb.DuckDBPyConnection, user_ids: list[str]) -> dict[str, list[dict]]:
    rows = con.execute("SELECT user_id, model, requests, price FROM user_models "
                       "WHERE list_contains(?, user_id) ORDER BY user_id, price DESC, model NULLS LAST", [user_ids])
    return {uid: [{k: v for k, v in r.items() if k != "user_id"} for r in group]
            for uid, group in groupby(_dicts(rows), key=lambda r: r["user_id"])}


# --- what one request shows ---------------------------------------------------------------------

def request_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A request document plus its comparison rows: for each figure, the usage value, the
    inference total, their difference and whether it is flagged."""
    usage = doc.get("usage") or {}
    inference = doc["inference"]
    flagged = set(doc["discrepancies"])
    comparison = []
    for figure in FIGURES:
        recorded = usage.get(figure)
        total = inference[figure]
        if recorded is None:
            state = "inference used" if usage else "no usage row"
            differs = False
        elif inference["calls"] == 0:
            state, differs = "no calls", False
        else:
            differs = ("price" if figure == "price" else "tokens") in flagged and recorded != total
            state = "differs" if differs else ("within tolerance" if recorded != total else "matches")
        comparison.append({
            "figure": figure, "label": FIGURE_LABELS[figure], "usage": recorded, "inference": total,
            "difference": None if recorded is None else recorded - total, "differs": differs, "state": state,
        })
    return {**doc, "comparison": comparison}


# --- front pages ----------------------------------------------------------------------------------

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
        "window": dict(zip(("since", "until"), con.execute("SELECT since, until FROM report_window").fetchone())),
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


def daily(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _dicts(con.execute("SELECT day::VARCHAR AS day, requests, price FROM daily ORDER BY day"))


def models(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _dicts(con.execute("SELECT * FROM model_summary ORDER BY price DESC, model NULLS LAST"))


def rejected_summary(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _dicts(con.execute("SELECT * FROM rejected_summary"))


def rejected_examples(con: duckdb.DuckDBPyConnection, per_reason: int = 5) -> list[dict[str, Any]]:
    """The first few rejected rows of each table and reason, with their original values."""
    rows = con.execute(
        "SELECT table_name, reason, column_name, position, value, original FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY table_name, reason ORDER BY position) AS k"
        "  FROM rejected_rows) WHERE k <= ? ORDER BY table_name DESC, reason, position", [per_reason])
    return [{**r, "original": json.loads(r["original"])} for r in _dicts(rows)]


def pager(page: Page, path_of: Callable[[int], str]) -> dict[str, Any]:
    """Paths (not links) of a page's neighbours; None where there is none."""
    return {
        "number": page.number, "pages": page.pages, "total": page.total,
        "first": path_of(1) if page.number > 1 else None,
        "previous": path_of(page.previous) if page.previous else None,
        "next": path_of(page.next) if page.next else None,
        "last": path_of(page.pages) if page.number < page.pages else None,
    }


def base_context(meta_: dict[str, Any], title: str, path: str) -> dict[str, Any]:
    return {"meta": meta_, "title": title, "path": path, "nav": NAV}
