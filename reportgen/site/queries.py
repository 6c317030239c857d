"""The read layer: every query the site (and `check`, `email`) runs on a snapshot's analysis
tables, returning plain Python data (dicts, lists, Decimals, ISO strings).

Rows are fetched as the JSON text the analysis wrote (api_* tables): the API files are that
text, and the HTML pages are rendered from the same text parsed, so both show the same values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby, islice
from typing import Any

import duckdb

from .. import __version__
from . import urls
from .paginate import Page, pages

DISCREPANCY_KINDS = ("tokens", "price", "no_calls", "orphan")

# list name -> (api_* table, JSON column)
LISTS = {
    "users": ("api_users", "item"),
    "requests": ("api_requests", "item"),
    "calls": ("api_calls", "item"),
    "rejected": ("api_rejected", "item"),
}
ISO_UTC = "strftime({0} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f') || '+00:00'"


# one decoder for all: json.loads(text, parse_float=...) builds a new decoder per call
_DECODER = json.JSONDecoder(parse_float=Decimal)


def parse_item(text: str) -> Any:
    """JSON text of one row -> dict; prices stay exact Decimals."""
    return _DECODER.decode(text)


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


def call_rows(con: duckdb.DuckDBPyConnection, start: int, stop: int) -> list[dict[str, Any]]:
    """Calls start..stop-1 of the calls list, parsed, each with its flags (for the HTML list)."""
    rows = con.execute("SELECT item, flags FROM api_calls WHERE n >= ? AND n < ? ORDER BY n", [start, stop])
    return [{**parse_item(item), "flags": flags} for item, flags in rows.fetchall()]


def envelope_json(page: Page, items_json: list[str]) -> str:
    """The API's page envelope, joined as text so the items' exact decimals are kept."""
    return (f'{{"page":{page.number},"pages":{page.pages},"total":{page.total},"items":['
            + ",".join(items_json) + "]}")


# The calls of a range of requests as one JSON array per request: DuckDB reads only the row
# groups of api_calls whose request_n can match (min/max pruning), so a page costs the same at
# 10k and 1M requests.
_CALL_LISTS = """
    SELECT request_n, '[' || string_agg(item::VARCHAR, ',' ORDER BY created_at, id) || ']',
           list(flags ORDER BY created_at, id), list(n ORDER BY created_at, id)
    FROM api_calls WHERE request_n >= $lo AND request_n < $hi {only} GROUP BY request_n"""
# ... but those of the requests whose rows came from the render cache: in a build after 1 % new
# rows, 3.4 instead of 12.8 ms per 500 requests (so it is used only when some are)
_BUT_CACHED = "AND NOT list_contains(string_split($cached, ',')::BIGINT[], request_n)"
_REQUESTS = """
    SELECT a.n, a.id, a.item::VARCHAR, a.calls_head, c.cause, a.priced_calls_price, f.since, f.file_key
    FROM api_requests a LEFT JOIN request_causes c ON c.n = a.n LEFT JOIN request_files f ON f.n = a.n
    WHERE a.n >= $lo AND a.n < $hi"""


@dataclass(frozen=True)
class Document:
    """One request as the API writes it (its document and its by-usage document), with what the
    pages show beside it: the likely cause of its discrepancy, and each call's flags."""
    id: str
    item: str  # its row of the requests list (api_requests.item)
    request_doc: str | None  # None: its calls were not read, its rows being cached (see request_documents)
    calls_doc: str | None
    cause: str | None
    priced_calls_price: Decimal | None  # the recorded price of its priced calls (set against inference.expected_price)
    call_flags: list[list[str]]
    call_ns: list[int]  # each call's n in the calls list
    since: str | None  # the snapshot whose files of this request are as they would be rendered now (None: no
    # comparison was run, as in tests that render a bare analysis)
    file_key: str | None = None  # what its files and rows are made from (request_files.sql; None as for since)

    def parsed(self) -> dict[str, Any]:
        """The request document parsed, its calls carrying their `flags` and itself its `cause`."""
        doc = parse_item(self.request_doc)
        for call, flags in zip(doc["calls"], self.call_flags):
            call["flags"] = flags
        doc["cause"] = self.cause
        doc["priced_calls_price"] = self.priced_calls_price
        return doc


def _documents(con: duckdb.DuckDBPyConnection, lo: int, hi: int, cached: frozenset[int]) -> dict[int, Document]:
    """request n -> its Document, for requests lo <= n < hi (see request_documents)."""
    params = {"lo": lo, "hi": hi}
    if cached:
        query, call_params = _CALL_LISTS.format(only=_BUT_CACHED), {**params, "cached": _ints(cached)}
    else:
        query, call_params = _CALL_LISTS.format(only=""), params
    calls = {n: (text, flags, ns) for n, text, flags, ns in con.execute(query, call_params).fetchall()}
    docs = {}
    rows = con.execute(_REQUESTS, params).fetchall()
    for n, request_id, item, calls_head, cause, priced_calls_price, since, file_key in rows:
        if n in cached:
            docs[n] = Document(request_id, item, None, None, cause, priced_calls_price, [], [], since, file_key)
            continue
        call_list, flags, call_ns = calls.get(n, ("[]", [], []))
        docs[n] = Document(request_id, item, f'{item[:-1]},"calls":{call_list}}}',
                           f'{calls_head},"items":{call_list}}}', cause, priced_calls_price, flags, call_ns, since,
                           file_key)
    return docs


def request_documents(con: duckdb.DuckDBPyConnection, start: int, stop: int, cached: frozenset[int] = frozenset(),
                      batch: int = 500) -> Iterator[Document]:
    """The Documents of requests start..stop-1, in order, a batch at a time. Those in `cached`
    (requests whose rows the render cache had, and whose files were linked from the previous
    snapshot) come without their documents: request_doc and calls_doc are None, their calls are
    not read."""
    for lo in range(start, stop, batch):
        hi = min(lo + batch, stop)
        docs = _documents(con, lo, hi, frozenset(n for n in cached if lo <= n < hi))
        yield from (docs[n] for n in range(lo, hi))


def call_ns(con: duckdb.DuckDBPyConnection, start: int, stop: int, requests: Iterable[int]) -> dict[int, list[int]]:
    """request n -> each of its calls' n in the calls list, in the order of its calls table, for
    those of requests start..stop-1 in `requests` (not empty): of requests linked from the
    previous snapshot, these say where their call rows from the render cache go. A semi-join on
    the n given, not list_contains(), which compares each call with every one of them: 23
    instead of 48 ms for the 5,000 requests of a task."""
    rows = con.execute("""
        SELECT request_n, list(n ORDER BY created_at, id) FROM api_calls
        WHERE request_n >= $lo AND request_n < $hi
          AND request_n IN (SELECT unnest(string_split($requests, ',')::BIGINT[]))
        GROUP BY request_n""", {"lo": start, "hi": stop, "requests": _ints(requests)}).fetchall()
    return dict(rows)


def _ints(ns: Iterable[int]) -> str:
    """Some n as one text parameter, which SQL splits: DuckDB's Python client takes 82 ms to pass a
    list of 1,000 numbers, and 0.7 ms to pass and split this text."""
    return ",".join(str(int(n)) for n in ns)


def shared_requests(con: duckdb.DuckDBPyConnection, start: int, stop: int,
                    current: str) -> list[tuple[int, str, str, int]]:
    """(n, id, file key, n in the previous snapshot) of requests start..stop-1 whose own files the
    previous snapshot has as they would be rendered now (request_files.since is not this snapshot)."""
    return con.execute("SELECT n, id, file_key, prev_n FROM request_files WHERE n >= ? AND n < ? AND since <> ? "
                       "ORDER BY n", [start, stop, current]).fetchall()


def discrepancy_totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Requests per discrepancy kind."""
    return {kind: summary["requests"] for kind, summary in discrepancy_summary(con).items()}


def discrepancy_summary(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Per kind: how many requests, the total of their sizes and, for price, the net difference."""
    rows = con.execute("SELECT kind, count(*), sum(size), sum(net) FROM api_discrepancies GROUP BY kind").fetchall()
    found = {kind: {"requests": n, "size": size, "net": net} for kind, n, size, net in rows}
    return {kind: found.get(kind, {"requests": 0, "size": Decimal(0), "net": None}) for kind in DISCREPANCY_KINDS}


def discrepancy_requests(con: duckdb.DuckDBPyConnection, kind: str, start: int, stop: int) -> list[dict[str, Any]]:
    """Requests start..stop-1 of a discrepancy kind's list (largest first): each its row of the
    requests list and its likely `cause`."""
    rows = con.execute("SELECT item::VARCHAR, cause FROM api_discrepancies WHERE kind = ? AND n >= ? AND n < ? "
                       "ORDER BY n", [kind, start, stop]).fetchall()
    return [{**parse_item(item), "cause": cause} for item, cause in rows]


def users_with_requests(con: duckdb.DuckDBPyConnection, start: int, stop: int,
                        page_size: int) -> Iterator[tuple[dict, int, Iterator[list[int]]]]:
    """(user row, number of requests, their pages) for users start..stop-1 of the user summary:
    each page the n of the user's requests on it, newest first. The n are read
    `REQUESTS_PER_FETCH` at a time from user_requests, where this run of users is one run of
    rows, so memory holds one fetch whatever a user's size. Consume each user's pages, in
    order, before the next user."""
    users = con.execute("SELECT user_id, item FROM api_users WHERE n >= ? AND n < ? ORDER BY n",
                        [start, stop]).fetchall()
    first, totals = _user_request_runs(con, start, stop)
    stream = _request_ns(con, first, first + sum(totals.values()))
    for rank, (_, item) in enumerate(users, start):
        total = totals.get(rank, 0)
        pages_of = (list(islice(stream, min(page_size, total - i))) for i in range(0, total, page_size))
        yield parse_item(item), total, pages_of


REQUESTS_PER_FETCH = 4000


def _user_request_runs(con: duckdb.DuckDBPyConnection, start: int, stop: int) -> tuple[int, dict[int, int]]:
    """The k of the first of users start..stop-1's requests in user_requests, and how many each has."""
    rows = con.execute("SELECT user_rank, min(k), count(*) FROM user_requests WHERE user_rank >= ? AND user_rank < ? "
                       "GROUP BY user_rank", [start, stop]).fetchall()
    return min((k for _, k, _ in rows), default=0), {rank: count for rank, _, count in rows}


def _request_ns(con: duckdb.DuckDBPyConnection, first: int, stop: int) -> Iterator[int]:
    for lo in range(first, stop, REQUESTS_PER_FETCH):
        rows = con.execute("SELECT request_n FROM user_requests WHERE k >= ? AND k < ? ORDER BY k",
                           [lo, min(lo + REQUESTS_PER_FETCH, stop)]).fetchall()
        yield from (n for (n,) in rows)


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


# --- front pages ----------------------------------------------------------------------------------

def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    rows = con.execute(
        "SELECT table_name, rows_read, rows_accepted, rows_rejected FROM table_counts ORDER BY table_name DESC"
    ).fetchall()
    return {t: {"rows_read": r, "rows_accepted": a, "rows_rejected": j} for t, r, a, j in rows}


def meta(con: duckdb.DuckDBPyConnection, page_size: int) -> dict[str, Any]:
    """api/meta.json: provenance of the snapshot. Holds the source's kind and a label that never
    carries credentials."""
    (snapshot_id, generated_at, kind, label, version, timezone, tolerance, title, price_table,
     token_convention) = con.execute(
        "SELECT snapshot_id, generated_at, source_kind, source_label, tool_version, timezone, "
        "price_tolerance, title, price_table, token_convention FROM snapshot_meta"
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
        "price_table": price_table,
        "token_convention": token_convention,
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


def daily_differences(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Days with a discrepancy: requests with one, and the price differences split by sign."""
    return _dicts(con.execute("SELECT day::VARCHAR AS day, requests, discrepancies, usage_over_inference, "
                              "usage_under_inference FROM daily WHERE discrepancies > 0 ORDER BY day"))


def causes(con: duckdb.DuckDBPyConnection, dimension: str = "all", keys: list[str] | None = None) -> dict:
    """Likely causes counted: key (None for 'all') -> {cause: {requests, difference_price}}, for
    one dimension (all, user, model, day), only `keys` when given."""
    rows = con.execute("SELECT key, cause, requests, difference_price FROM causes_by WHERE dimension = ? "
                       "AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], key)) ORDER BY key, cause",
                       [dimension, keys, keys]).fetchall()
    found: dict = {}
    for key, cause, requests, difference in rows:
        found.setdefault(key, {})[cause] = {"requests": requests, "difference_price": difference}
    return found


def model_prices(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Recorded vs. expected price per model of the calls, largest gap first."""
    return _dicts(con.execute("SELECT * FROM model_prices ORDER BY abs(gap) DESC NULLS LAST, model NULLS LAST"))


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


CHANGES_LISTED = 200  # rows of each list on the changes page; the JSON file has them all


def changes(con: duckdb.DuckDBPyConnection) -> tuple[str, dict[str, Any]]:
    """(api/changes.json's text, what the changes page shows): the document parsed, why there is
    no comparison (or None), and the first CHANGES_LISTED rows of each list with their amounts:
    requests by id, discrepancies by id and kind, users by the size of their spend change."""
    doc, note = con.execute("SELECT doc, note FROM api_changes").fetchone()
    requests = {change: _dicts(con.execute(
        "SELECT id, user_id, handle, previous_price, current_price, current_price - previous_price AS delta "
        "FROM changes_requests WHERE change = ? ORDER BY id LIMIT ?", [change, CHANGES_LISTED]))
        for change in ("new", "removed", "changed")}
    discrepancies = {change: _dicts(con.execute(
        "SELECT id, kind FROM changes_discrepancies WHERE change = ? ORDER BY id, kind LIMIT ?",
        [change, CHANGES_LISTED])) for change in ("new", "resolved")}
    users = _dicts(con.execute("SELECT * FROM changes_users ORDER BY abs(delta) DESC, user_id LIMIT ?",
                               [CHANGES_LISTED]))
    users_changed = con.execute("SELECT count(*) FROM changes_users").fetchone()[0]
    return doc, {"document": parse_item(doc), "note": note, "requests": requests, "discrepancies": discrepancies,
                 "users": users, "users_changed": users_changed, "listed": CHANGES_LISTED}


def months(con: duckdb.DuckDBPyConnection) -> tuple[str, dict[str, Any]]:
    """(api/months.json's text, the same parsed without each month's users: the pages do not
    list them, and they grow with the data)."""
    doc, page = con.execute("SELECT doc, page FROM api_months").fetchone()
    return doc, parse_item(page)


def user_months(con: duckdb.DuckDBPyConnection, user_ids: list[str]) -> dict[str, list[dict]]:
    """user_id -> the user's figures per month, oldest first."""
    rows = con.execute("SELECT key AS user_id, * EXCLUDE (dimension, key) FROM months WHERE dimension = 'user' "
                       "AND list_contains(?, key) ORDER BY key, month", [user_ids])
    return {uid: [{k: v for k, v in r.items() if k != "user_id"} for r in group]
            for uid, group in groupby(_dicts(rows), key=lambda r: r["user_id"])}


def budgets(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Each [budgets] limit against the latest month's spend: scope, key, label, month, budget,
    spend, remaining (negative when over), exceeded. Empty for a snapshot from before budgets."""
    try:
        return _dicts(con.execute("SELECT * EXCLUDE (n, current) FROM budget_status WHERE current ORDER BY n"))
    except duckdb.CatalogException:
        return []


def long_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Request and user ids too long to encode as a file name (over 150 bytes): few, if any."""
    rows = con.execute("SELECT id FROM api_requests WHERE octet_length(encode(id)) > 150 UNION "
                       "SELECT user_id FROM api_users WHERE octet_length(encode(user_id)) > 150 ORDER BY 1")
    return [row[0] for row in rows.fetchall()]
