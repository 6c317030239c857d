"""The expected price of every inference call (docs/reference.md, "Expected price"): repriced in SQL
from the snapshot's price table, checked against genai_prices.calc_price itself on calls without
cache tokens, against figures worked out by hand for cache tokens under both conventions, and
against the operator's own CSV with prices that change on a date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from genai_prices import Usage, calc_price, data_snapshot, types
from helpers import analysed_snapshot, call_row, load_json, read_list, rows, usage_row, write_sqlite

from reportgen import cli
from reportgen.pipeline import build
from reportgen.site import urls


def expected_of(con) -> dict[str, Decimal | None]:
    return {r["id"]: r["expected_price"] for r in rows(con, "SELECT id, expected_price FROM calls")}


def dated_model() -> tuple[str, datetime]:
    """A model reference genai-prices resolves to prices that change on a date, and that date."""
    snapshot = data_snapshot.get_snapshot()
    for provider in snapshot.providers:
        for model in provider.models:
            if isinstance(model.prices, types.ModelPrice):
                continue
            starts = [c.constraint.start_date for c in model.prices
                      if isinstance(c.constraint, types.StartDateConstraint)]
            if not starts or any(isinstance(c.constraint, types.TimeOfDateConstraint) for c in model.prices):
                continue
            try:
                _, found = snapshot.find_provider_model(model.id, None, None, None)
            except LookupError:
                continue
            for day in starts:
                at = datetime(day.year, day.month, day.day, tzinfo=UTC)
                before, after = model.get_prices(at - timedelta(seconds=1)), model.get_prices(at)
                token_prices = [(getattr(p, "input_mtok", None), getattr(p, "output_mtok", None))
                                for p in (before, after)]
                if found is model and token_prices[0] != token_prices[1]:
                    return model.id, at
    pytest.fail("genai-prices has no model whose prices change on a date")


def test_calls_without_cache_tokens_cost_what_genai_prices_says(tmp_path):
    dated, change = dated_model()
    cases = [  # (model, created_at, input, output)
        ("gpt-4o", datetime(2026, 10, 1, 10, tzinfo=UTC), 1234, 567),
        ("gpt-4o-mini", datetime(2026, 10, 1, 10, tzinfo=UTC), 1, 0),
        ("claude-sonnet-4-5", datetime(2026, 10, 1, 10, tzinfo=UTC), 200_000, 1000),  # the base tier still
        ("claude-sonnet-4-5", datetime(2026, 10, 1, 10, tzinfo=UTC), 200_001, 1000),  # every token at the tier
        ("gemini-2.5-flash", datetime(2026, 10, 2, 23, 59, tzinfo=UTC), 98_765, 4321),
        (dated, change - timedelta(seconds=1), 250_000, 7000),  # past any long-context tier
        (dated, change, 250_000, 7000),
    ]
    usage = [usage_row("r1")]
    calls = [call_row(f"c{i}", "r1", created_at=at.isoformat(), model=model, input_tokens=i_tokens,
                      output_tokens=o_tokens, price="0") for i, (model, at, i_tokens, o_tokens) in enumerate(cases)]
    got = expected_of(analysed_snapshot(tmp_path, usage, calls))
    for i, (model, at, i_tokens, o_tokens) in enumerate(cases):
        want = calc_price(Usage(input_tokens=i_tokens, output_tokens=o_tokens), model_ref=model,
                          genai_request_timestamp=at).total_price
        assert got[f"c{i}"] == want, (model, at)
    # above 200k input tokens every token is at the tier's price: 200,001 x $6 + 1,000 x $22.5 per million
    assert (got["c2"], got["c3"]) == (Decimal("0.615"), Decimal("1.222506"))
    assert got["c5"] != got["c6"]  # the dated model's price changed that day


# claude-haiku-4-5 per million: input 1, output 5, cache read 0.1, cache write 1.25.
# gpt-4o: input 2.5, output 10, cache read 1.25, no cache write price (charged as input).
# claude-sonnet-4-5: input 3 / 6, output 15 / 22.5, cache read 0.3 / 0.6 below / above 200k input tokens.
HAND = [  # (model, input, output, cache read, cache write, USD with cache apart, USD with cache included)
    ("claude-haiku-4-5", 3000, 100, 2000, 400, "0.0042", "0.0018"),
    ("gpt-4o", 1000, 10, 500, 200, "0.003725", "0.001975"),
    ("claude-sonnet-4-5", 150_000, 1000, 60_000, 0, "0.9585", "0.303"),  # below the tier when included
    ("claude-haiku-4-5", 100, 0, 500, 0, "0.00015", None),  # fewer input tokens than cache tokens
]


@pytest.mark.parametrize("convention", ["cache_separate", "cache_included"])
def test_cache_tokens_by_hand_under_both_conventions(tmp_path, convention):
    usage = [usage_row("r1")]
    calls = [call_row(f"c{i}", "r1", model=model, input_tokens=i_tokens, output_tokens=o_tokens,
                      cache_read_tokens=read, cache_write_tokens=write, price="0")
             for i, (model, i_tokens, o_tokens, read, write, _, _) in enumerate(HAND)]
    got = expected_of(analysed_snapshot(tmp_path, usage, calls, token_convention=convention))
    for i, (*_, apart, included) in enumerate(HAND):
        want = apart if convention == "cache_separate" else included
        assert got[f"c{i}"] == (Decimal(want) if want is not None else None), HAND[i]


def site_of(tmp_path, config_for, usage, calls, **overrides):
    db = write_sqlite(tmp_path / "source.db", usage, calls)
    return build(config_for(f"sqlite://{db}", **overrides), workers=1).path


def test_unpriced_calls_are_null_never_zero_and_leave_discrepancies_alone(tmp_path, config_for):
    usage = [usage_row("mixed", price="0.5", input_tokens=1100, output_tokens=0),
             usage_row("unknown", price="0.2", input_tokens=10), usage_row("silent", price="0")]
    calls = [call_row("known", "mixed", model="gpt-4o", input_tokens=1000, price="0.3"),  # expected 0.0025
             call_row("odd", "mixed", model="acme-ft-7b", input_tokens=100, price="0.2"),
             call_row("lone", "unknown", model="acme-ft-7b", input_tokens=10, price="0.2")]
    site = site_of(tmp_path, config_for, usage, calls)
    requests = {r["id"]: r for r in read_list(site, "requests")}
    assert (requests["mixed"]["inference"]["expected_price"], requests["mixed"]["inference"]["unpriced_calls"]) == (
        Decimal("0.0025"), 1)
    assert (requests["unknown"]["inference"]["expected_price"], requests["unknown"]["inference"]["unpriced_calls"]) == (
        None, 1)
    assert (requests["silent"]["inference"]["expected_price"], requests["silent"]["inference"]["unpriced_calls"]) == (
        Decimal(0), 0)  # no calls: nothing was expected
    # a separate check: 0.3 recorded against 0.0025 expected is no discrepancy (usage agrees with its calls)
    assert requests["mixed"]["discrepancies"] == [] and requests["unknown"]["discrepancies"] == []
    calls_listed = {c["id"]: c["expected_price"] for c in read_list(site, "inference-calls")}
    assert calls_listed == {"known": Decimal("0.0025"), "odd": None, "lone": None}

    page = BeautifulSoup((site / urls.request("mixed")).read_text(encoding="utf-8"), "html.parser")
    figures = {row.th.get_text(strip=True): row.td.get_text(strip=True) for row in page.select("table.expected tr")}
    assert figures == {"Recorded price of its priced calls": "$0.300000", "Expected price": "$0.002500",
                       "Recorded minus expected": "+$0.297500⚠ differs"}  # in words, not colour alone
    assert "1 of its calls could not be priced" in page.select_one("p.unpriced").get_text()
    expected_cells = [row.select("td")[-1].get_text(strip=True) for row in page.select("table.calls tbody tr")]
    assert sorted(expected_cells) == ["$0.002500", "unpriced"]
    lone = BeautifulSoup((site / urls.request("unknown")).read_text(encoding="utf-8"), "html.parser")
    assert "could be priced" in lone.select_one("p.unpriced").get_text() and not lone.select("table.expected")

    by_model = BeautifulSoup((site / urls.DISCREPANCIES).read_text(encoding="utf-8"), "html.parser")
    cells = {row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")]
             for row in by_model.select("#expected-price ~ div table.expected tbody tr")}
    assert cells == {"gpt-4o": ["1", "0", "$0.300000", "$0.002500", "+$0.297500"],
                     "acme-ft-7b": ["2", "2", "—", "unpriced", "—"]}


def test_the_operators_price_table_with_a_price_change(tmp_path, config_for):
    table = tmp_path / "rates.csv"
    table.write_text("model,input_mtok,output_mtok,cache_read_mtok,valid_from\n"
                     "acme-ft-7b,0.4,1.6,,\n"
                     "acme-ft-7b,0.2,0.8,0.05,2026-10-15\n"
                     "gpt-4o,2,8,1,\n", encoding="utf-8")
    usage = [usage_row("r1", price="1")]
    calls = [call_row("before", "r1", created_at="2026-10-14T23:59:59Z", model="acme-ft-7b", input_tokens=1000,
                      output_tokens=100, cache_read_tokens=1000, price="0.5"),
             call_row("after", "r1", created_at="2026-10-15T00:00:00Z", model="acme-ft-7b", input_tokens=1000,
                      output_tokens=100, cache_read_tokens=1000, price="0.4"),
             call_row("negotiated", "r1", model="gpt-4o", input_tokens=1000, price="0.05"),
             call_row("not-in-table", "r1", model="claude-haiku-4-5", input_tokens=1000, price="0.05")]
    site = site_of(tmp_path, config_for, usage, calls, prices=table)
    got = {c["id"]: c["expected_price"] for c in read_list(site, "inference-calls")}
    # before: 1000 x 0.4 + 100 x 1.6 + 1000 cache reads at the input price 0.4; after: 200 + 80 + 50
    assert got == {"before": Decimal("0.00096"), "after": Decimal("0.00033"), "negotiated": Decimal("0.002"),
                   "not-in-table": None}  # the operator's table replaces genai-prices': haiku is not in it
    assert load_json(site / urls.META)["price_table"] == "your price table rates.csv"


@pytest.mark.parametrize("text, message", [
    ("model,input_mtok\nx,1\n", "has no column 'output_mtok'"),
    ("model,input_mtok,output_mtok\nx,1,2\ny,-1,2\n", "line 3: input_mtok -1 is not a non-negative number"),
    ("model,input_mtok,output_mtok,valid_from\nx,1,2,soon\n", "line 2: valid_from soon is not a date or time"),
    ("model,input_mtok,output_mtok\nx,1,2\nx,1,3\n", "line 2: x is priced twice from the same time"),
])
def test_a_bad_price_table_is_one_line_and_exit_2(tmp_path, text, message):
    table = tmp_path / "rates.csv"
    table.write_text(text, encoding="utf-8")
    db = write_sqlite(tmp_path / "s.db", [usage_row("r1")], [call_row("c1", "r1", model="x")])
    result = CliRunner().invoke(cli.main, ["build", "--source", f"sqlite://{db}", "--out", str(tmp_path / "out"),
                                           "--prices", str(table)])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "latest").exists()


def test_exports_carry_the_expected_prices(tmp_path, config_for):
    import csv

    usage = [usage_row("r1", price="1")]
    calls = [call_row("c1", "r1", model="gpt-4o", input_tokens=1000, price="1"),
             call_row("c2", "r1", model="acme-ft-7b", input_tokens=1000, price="0")]
    site = site_of(tmp_path, config_for, usage, calls)
    with open(site / urls.CSV_CALLS, newline="", encoding="utf-8") as f:
        exported = {r["id"]: r["expected_price"] for r in csv.DictReader(f)}
    assert (Decimal(exported["c1"]), exported["c2"]) == (Decimal("0.0025"), "")
    with open(site / urls.CSV_REQUESTS, newline="", encoding="utf-8") as f:
        (request,) = csv.DictReader(f)
    assert (Decimal(request["inference_expected_price"]), request["inference_unpriced_calls"]) == (
        Decimal("0.0025"), "1")
