"""CSV exports (site/exports.py): one complete CSV per list, RFC 4180, rows as the API lists
them, nested objects flattened, formula-like text neutralised, linked from the list pages."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from helpers import call_row, load_json, read_list, usage_row, write_sqlite

from reportgen.pipeline import build
from reportgen.site import urls

FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from reportgen.config import load_config

    tmp = tmp_path_factory.mktemp("exports")
    usage = [usage_row(f"r{n}", created_at=f"2026-10-0{n + 1}T10:00:00Z", user_id=f"u{n}", handle=handle,
                       model=handle, input_tokens=10, price="0.123456789012")
             for n, handle in enumerate(FORMULAS)]
    usage += [usage_row("r9", user_id="u9", handle='a "quoted", line\nbreak', price="1"),
              usage_row(None, user_id="=bad")]
    calls = [call_row("c1", "r0", input_tokens=11, price="0.1"), call_row("c2", "gone", user_id="=x", price="2"),
             call_row("c3", None, price="3"), call_row("c4", "r9", price="1")]
    db = write_sqlite(tmp / "s.db", usage, calls)
    config = load_config(None, {"source": f"sqlite://{db}", "out": tmp / "out", "page_size": 3})
    return build(config, workers=1).path


def read_csv(site, relative):
    raw = (site / relative).read_bytes()
    assert raw.endswith(b"\r\n") and raw.split(b"\r\n")[0].count(b"\n") == 0  # CRLF records, header first
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))


@pytest.mark.parametrize("relative, api", [
    (urls.CSV_REQUESTS, "requests"), (urls.CSV_CALLS, "inference-calls"), (urls.CSV_USERS, "user-summary")])
def test_one_row_per_api_item_in_the_same_order(site, relative, api):
    rows = read_csv(site, relative)
    items = read_list(site, api)
    key = "user_id" if api == "user-summary" else "id"
    assert [r[key].removeprefix("'") for r in rows] == [i[key] for i in items]


def test_request_rows_flatten_nested_objects_and_keep_money_exact(site):
    rows = {r["id"]: r for r in read_csv(site, urls.CSV_REQUESTS)}
    r0 = rows["r0"]
    assert Decimal(r0["price"]) == Decimal("0.123456789012")
    assert (r0["inference_calls"], r0["inference_input_tokens"], Decimal(r0["inference_price"])) == ("1", "11",
                                                                                                       Decimal("0.1"))
    assert (r0["usage_input_tokens"], r0["discrepancies"]) == ("10", "tokens price")
    assert rows["call:c3"]["usage_price"] == ""  # a synthetic request has no usage row
    assert rows["r9"]["handle"] == 'a "quoted", line\nbreak'  # quoted as RFC 4180 says


def test_formula_like_text_is_neutralised(site):
    handles = {r["id"]: r["handle"] for r in read_csv(site, urls.CSV_REQUESTS)}
    assert [handles[f"r{n}"] for n in range(len(FORMULAS))] == ["'" + f for f in FORMULAS]
    calls = {r["id"]: r for r in read_csv(site, urls.CSV_CALLS)}
    assert calls["c2"]["user_id"] == "'=x"
    rejected = read_csv(site, urls.CSV_REJECTED)
    assert [(r["reason"], r["original_user_id"]) for r in rejected] == [("missing_id", "'=bad")]


def test_discrepancy_exports_hold_exactly_the_requests_of_their_kind(site):
    for kind in ("tokens", "price", "no_calls", "orphan"):
        rows = read_csv(site, urls.csv_discrepancies(kind))
        expected = [i["id"] for i in read_list(site, "requests") if kind in i["discrepancies"]]
        assert [r["id"].removeprefix("'") for r in rows] == expected, kind


def test_counts_match_meta_and_files_are_in_the_manifest(site):
    meta = load_json(site / urls.META)
    assert len(read_csv(site, urls.CSV_REJECTED)) == sum(t["rows_rejected"] for t in meta["tables"].values())
    listed = (site / urls.MANIFEST).read_text()
    for relative in (urls.CSV_REQUESTS, urls.CSV_CALLS, urls.CSV_USERS, urls.CSV_REJECTED):
        assert f"  {relative}\n" in listed


@pytest.mark.parametrize("page, target", [
    (urls.requests_page(1), urls.CSV_REQUESTS), (urls.calls_page(1), urls.CSV_CALLS),
    (urls.users_page(2), urls.CSV_USERS), (urls.rejected_page(1), urls.CSV_REJECTED),
    (urls.QUALITY, urls.CSV_REJECTED), (urls.discrepancy_page("price", 1), urls.csv_discrepancies("price"))])
def test_list_pages_link_their_csv(site, page, target):
    soup = BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser")
    hrefs = [a["href"] for a in soup.select("a[download]")]
    assert urls.link(page, target) in hrefs


def test_a_long_export_streams_in_the_table_order_within_a_small_memory(tmp_path):
    """The calls export is not sorted in the render worker: calls.sql stores the calls newest
    first, and the export keeps that order (preserve_insertion_order) while DuckDB streams it.
    300k calls through an 8 MB reader with two threads: a sort there runs out of memory, and a
    scan that may reorder does reorder."""
    from helpers import analysed_snapshot

    from reportgen.ingest.connection import connect
    from reportgen.site import exports

    analysed_snapshot(tmp_path, [usage_row("r1")], [call_row("c1", "r1")]).close()
    db = tmp_path / "snapshot.duckdb"
    con = connect(db)
    # older calls than c1, appended newest first: the table stays in the list's order
    con.execute("INSERT INTO calls (id, usage_id, created_at, user_id, model, input_tokens, price, request_id) "
                "SELECT 'x' || lpad(i::VARCHAR, 6, '0'), 'r1', TIMESTAMPTZ '2026-09-30 00:00:00+00' - to_seconds(i), "
                "'u1', 'm', i, 0.000001 * i, 'r1' FROM range(300000) t(i) ORDER BY i")
    con.close()
    con = connect(db, read_only=True)
    con.execute("SET memory_limit = '8MB'")
    con.execute("SET threads = 2")
    exports.prepare(con)

    class Writer:
        def write_with(self, relative, write):
            write(tmp_path / "calls.csv")

    exports.write_export(con, Writer(), "inference-calls")
    con.close()
    with open(tmp_path / "calls.csv", newline="", encoding="utf-8") as f:
        ids = [row["id"] for row in csv.DictReader(f)]
    assert ids == ["c1"] + [f"x{i:06d}" for i in range(300000)]
