"""sql/analysis/requests.sql: the effective request set, figures, source and discrepancies."""

from decimal import Decimal
from importlib import resources

import pytest
from helpers import analysed_snapshot, call_row, rows, usage_row

PACKAGE = resources.files("reportgen")
FULL = dict(input_tokens=10, output_tokens=5, cache_read_tokens=2, cache_write_tokens=1, price="0.01")


def request(con, request_id):
    found = rows(con, "SELECT * EXCLUDE (created_at) FROM requests WHERE id = ?", [request_id])
    assert len(found) == 1
    return found[0]


def test_usage_row_matching_its_calls_has_no_discrepancy(tmp_path):
    con = analysed_snapshot(tmp_path, [usage_row("r1", **FULL)], [
        call_row("c1", "r1", input_tokens=4, output_tokens=5, cache_read_tokens=2, cache_write_tokens=0, price="0.004"),
        call_row("c2", "r1", input_tokens=6, output_tokens=0, cache_read_tokens=0, cache_write_tokens=1, price="0.006"),
    ])
    r = request(con, "r1")
    assert (r["source"], r["discrepancies"], r["calls"], r["price"]) == ("usage", [], 2, Decimal("0.01"))


def test_token_and_price_discrepancies(tmp_path):
    con = analysed_snapshot(tmp_path, [usage_row("r1", **FULL)], [
        call_row("c1", "r1", input_tokens=10, output_tokens=6, cache_read_tokens=2, cache_write_tokens=1, price="0.02"),
    ])
    r = request(con, "r1")
    assert r["discrepancies"] == ["tokens", "price"]
    assert (r["output_tokens"], r["inference_output_tokens"]) == (5, 6)  # the usage value wins


@pytest.mark.parametrize("difference, flagged", [("0.000001", False), ("0.0000011", True), ("-0.0000011", True)])
def test_price_tolerance_is_inclusive(tmp_path, difference, flagged):
    price = Decimal("0.01") + Decimal(difference)
    con = analysed_snapshot(tmp_path, [usage_row("r1", **{**FULL, "price": str(price)})], [
        call_row("c1", "r1", input_tokens=10, output_tokens=5, cache_read_tokens=2, cache_write_tokens=1, price="0.01"),
    ])
    assert ("price" in request(con, "r1")["discrepancies"]) is flagged


def test_price_tolerance_comes_from_config(tmp_path):
    con = analysed_snapshot(tmp_path, [usage_row("r1", **{**FULL, "price": "0.015"})], [
        call_row("c1", "r1", input_tokens=10, output_tokens=5, cache_read_tokens=2, cache_write_tokens=1, price="0.01"),
    ], price_tolerance="0.01")
    assert request(con, "r1")["discrepancies"] == []


def test_null_usage_figures_fall_back_to_inference_totals(tmp_path):
    con = analysed_snapshot(tmp_path, [usage_row("r1", input_tokens=10, output_tokens=None, price=None)], [
        call_row("c1", "r1", input_tokens=10, output_tokens=7, price="0.5"),
    ])
    r = request(con, "r1")
    assert (r["output_tokens"], r["price"], r["source"]) == (7, Decimal("0.5"), "mixed")
    # NULL figures are "not recorded", not a discrepancy; the NULL cache tokens fall back to 0
    assert r["discrepancies"] == []
    assert (r["cache_read_tokens"], r["cache_write_tokens"]) == (0, 0)


def test_all_null_figures_make_source_inference(tmp_path):
    con = analysed_snapshot(tmp_path, [usage_row("r1")], [call_row("c1", "r1", input_tokens=3, price="0.3")])
    r = request(con, "r1")
    assert (r["source"], r["input_tokens"], r["price"]) == ("inference", 3, Decimal("0.3"))


def test_usage_row_without_calls_is_no_calls_only(tmp_path):
    con = analysed_snapshot(tmp_path, [usage_row("r1", **{**FULL, "output_tokens": 999})], [])
    r = request(con, "r1")
    assert (r["discrepancies"], r["calls"], r["source"]) == (["no_calls"], 0, "usage")


def test_synthetic_requests_for_orphans(tmp_path):
    con = analysed_snapshot(tmp_path, [usage_row("r1", **FULL)], [
        call_row("c1", "r1", **{**FULL}),
        call_row("c2", "gone", user_id="u7", input_tokens=3, price="0.003"),
        call_row("c3", "gone", user_id="u8", input_tokens=4, price="0.004", created_at="2026-10-01T11:00:00Z"),
        call_row("c4", None, input_tokens=1, price="0.001"),
    ])
    gone = request(con, "gone")
    assert (gone["user_id"], gone["input_tokens"], gone["price"], gone["source"], gone["discrepancies"]) == (
        "u7", 7, Decimal("0.007"), "inference", ["orphan"])
    assert gone["usage_id"] == "gone" and gone["synthetic"]
    lone = request(con, "call:c4")
    assert (lone["user_id"], lone["usage_id"], lone["discrepancies"]) == ("(unknown)", None, ["orphan"])
    assert rows(con, "SELECT count(*) AS n FROM requests") == [{"n": 3}]


def test_handle_defaults_to_the_users_latest_handle_then_user_id(tmp_path):
    con = analysed_snapshot(tmp_path, [
        usage_row("r1", user_id="u1", handle="Old", created_at="2026-10-01T00:00:00Z"),
        usage_row("r2", user_id="u1", handle="New", created_at="2026-10-02T00:00:00Z"),
        usage_row("r3", user_id="u1", created_at="2026-10-03T00:00:00Z"),
        usage_row("r4", user_id="u2"),
    ], [])
    assert [request(con, r)["handle"] for r in ("r1", "r2", "r3", "r4")] == ["Old", "New", "New", "u2"]


@pytest.mark.parametrize("macros", ["sql/analysis/macros.sql", "site/exports/macros.sql"])
def test_iso_writes_utc_to_the_microsecond_whatever_the_session_time_zone(macros):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")
    text = PACKAGE.joinpath(macros).read_text(encoding="utf-8")
    start = text.index("CREATE OR REPLACE TEMP MACRO iso(")
    con.execute(text[start:text.index(";", start) + 1])  # the file's other macros need its tables
    moments = {
        "2026-03-08 06:59:59.999999+00": "2026-03-08T06:59:59.999999+00:00",
        "2026-11-01 01:30:00-04": "2026-11-01T05:30:00.000000+00:00",
        "0001-01-01 00:00:00+00": "0001-01-01T00:00:00.000000+00:00",
        "-0044-03-15 12:00:00+00": "-44-03-15T12:00:00.000000+00:00",
        "12026-01-01 00:00:00.5+00": "12026-01-01T00:00:00.500000+00:00",
    }
    got = {moment: con.execute(f"SELECT iso('{moment}'::TIMESTAMPTZ)").fetchone()[0] for moment in moments}
    assert got == moments
