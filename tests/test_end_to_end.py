"""The demo source built end to end; its JSON API checked against the independent reference."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal

import pytest
from helpers import load_json, read_list
from reference import FIGURES, compute

from reportgen import demo
from reportgen.pipeline import build
from reportgen.site import urls


def sqlite_rows(path, table):
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    result = [dict(r) for r in con.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    con.close()
    return result


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    source = tmp / "demo.db"
    demo.generate(source, rows=600, seed=11)
    from reportgen.config import load_config
    config = load_config(None, {"source": f"sqlite://{source}", "out": tmp / "out", "page_size": 50})
    result = build(config, workers=2)
    reference = compute(sqlite_rows(source, "usage"), sqlite_rows(source, "inference_calls"))
    return result.path, reference


def test_meta_counts_match(demo_build):
    site, ref = demo_build
    meta = load_json(site / "api" / "meta.json")
    for table, (read, accepted, rejected) in ref.counts.items():
        assert meta["tables"][table] == {"rows_read": read, "rows_accepted": accepted, "rows_rejected": rejected}
        assert rejected > 0  # the demo has bad rows of every table
    assert meta["source_kind"] == "sqlite" and "password" not in str(meta)


def test_requests_match_the_reference(demo_build):
    site, ref = demo_build
    items = read_list(site, "requests")
    assert {i["id"] for i in items} == set(ref.requests)
    for item in items:
        expected = ref.requests[item["id"]]
        assert datetime.fromisoformat(item["created_at"]) == expected["created_at"]
        for column in FIGURES:
            assert item[column] == expected[column], (item["id"], column)
        assert (item["source"], item["discrepancies"], item["user_id"], item["handle"]) == (
            expected["source"], expected["discrepancies"], expected["user_id"], expected["handle"])
        assert item["inference"] == expected["inference"]
        assert item["difference"] == expected["difference"], item["id"]
    kinds = {k for i in items for k in i["discrepancies"]}
    assert kinds == {"tokens", "price", "no_calls", "orphan"}  # the demo has every kind
    assert {i["source"] for i in items} == {"usage", "inference", "mixed"}


def test_user_summary_matches_the_reference(demo_build):
    site, ref = demo_build
    items = read_list(site, "user-summary")
    assert [i["price"] for i in items] == sorted((i["price"] for i in items), reverse=True)
    assert {i["user_id"] for i in items} == set(ref.users)
    for item in items:
        expected = ref.users[item["user_id"]]
        for key in ("handle", "requests", *FIGURES, "discrepancies", "source", "usage_over_inference",
                    "usage_under_inference"):
            assert item[key] == expected[key], (item["user_id"], key)
        assert datetime.fromisoformat(item["first_seen"]) == expected["first_seen"]
    assert sum(i["price"] for i in items) == sum((r["price"] for r in ref.requests.values()), Decimal(0))


def test_every_call_is_listed_once_and_in_its_request_file(demo_build):
    site, ref = demo_build
    calls = read_list(site, "inference-calls")
    assert len(calls) == len({c["id"] for c in calls}) == len(ref.calls)
    by_request: dict[str, list] = {}
    for call in calls:
        by_request.setdefault(call["request_id"], []).append(call["id"])
    for request_id in ref.requests:
        doc = load_json(site / urls.api_request(request_id))
        by_usage = load_json(site / urls.api_calls_by_usage(request_id))
        assert doc["id"] == by_usage["request_id"] == request_id
        assert sorted(c["id"] for c in doc["calls"]) == sorted(by_request.get(request_id, []))
        assert by_usage["items"] == doc["calls"] and by_usage["total"] == len(doc["calls"])


def test_index_shows_the_headline_spend(demo_build):
    from bs4 import BeautifulSoup

    site, ref = demo_build
    soup = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    spend = {dt.get_text(): dd.get_text() for dt, dd in zip(soup.select(".headline dt"), soup.select(".headline dd"))}
    total = sum((r["price"] for r in ref.requests.values()), Decimal(0))
    assert spend["Spend"] == f"${total:,.2f}"
    assert spend["Requests"] == f"{len(ref.requests):,}"
    assert soup.select_one("footer code").get_text() == site.name
