"""api_discrepancies.sql: each kind's requests largest first, with the size that orders them."""

from __future__ import annotations

from decimal import Decimal

from bs4 import BeautifulSoup
from helpers import analysed_snapshot, call_row, rows, usage_row, write_sqlite

from reportgen.pipeline import build
from reportgen.site import urls

USAGE = [usage_row("small", price="1.01", input_tokens=10), usage_row("big", price="0.5", input_tokens=7),
         usage_row("mid", price="2.3", input_tokens=10), usage_row("charged", price="4")]
CALLS = [call_row("c1", "small", price="1", input_tokens=10), call_row("c2", "big", price="3", input_tokens=10),
         call_row("c3", "mid", price="2", input_tokens=12), call_row("c4", None, price="0.7"),
         call_row("c5", "gone", price="0.2")]


def test_each_kind_is_ordered_by_the_size_of_its_discrepancy(tmp_path):
    con = analysed_snapshot(tmp_path, USAGE, CALLS)
    got = rows(con, "SELECT d.kind, d.n, r.id, d.size, d.net FROM api_discrepancies d "
                    "JOIN api_requests r ON r.n = d.request_n ORDER BY d.kind, d.n")
    assert [(g["kind"], g["id"], g["size"], g["net"]) for g in got] == [
        ("no_calls", "charged", Decimal(4), None),
        ("orphan", "call:c4", Decimal("0.7"), None), ("orphan", "gone", Decimal("0.2"), None),
        ("price", "big", Decimal("2.5"), Decimal("-2.5")), ("price", "mid", Decimal("0.3"), Decimal("0.3")),
        ("price", "small", Decimal("0.01"), Decimal("0.01")),
        ("tokens", "big", Decimal(3), None), ("tokens", "mid", Decimal(2), None),
    ]


def test_lists_show_amounts_and_their_total(tmp_path, config_for):
    db = write_sqlite(tmp_path / "s.db", USAGE, CALLS)
    site = build(config_for(f"sqlite://{db}"), workers=1).path
    page = BeautifulSoup((site / urls.discrepancy_page("price", 1)).read_text(encoding="utf-8"), "html.parser")
    table = [[td.get_text() for td in tr.select("th, td")] for tr in page.select("table.differences tbody tr")]
    assert [(r[0], r[3], r[4], r[5]) for r in table] == [
        ("big", "$0.500000", "$3.000000", "-$2.500000"), ("mid", "$2.300000", "$2.000000", "+$0.300000"),
        ("small", "$1.010000", "$1.000000", "+$0.010000")]
    total = page.select_one("p.total").get_text(" ", strip=True)
    assert "$2.810000 of price difference" in total and "net -$2.190000" in total
    index = BeautifulSoup((site / urls.DISCREPANCIES).read_text(encoding="utf-8"), "html.parser")
    assert [tr.th.get_text() for tr in index.select("table.differences tbody tr")] == ["big", "mid", "small"]
