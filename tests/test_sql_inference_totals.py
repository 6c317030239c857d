"""sql/analysis/calls.sql and inference_totals.sql on a handful of rows."""

from decimal import Decimal

from click.testing import CliRunner
from helpers import analysed_snapshot, call_row, rows, usage_row, write_sqlite

from reportgen import cli


def test_calls_belong_to_their_usage_row_else_to_a_synthetic_request(tmp_path):
    con = analysed_snapshot(tmp_path, [usage_row("r1")], [
        call_row("c1", "r1"), call_row("c2", "gone"), call_row("c3", None),
    ])
    got = rows(con, "SELECT id, request_id, orphan FROM calls ORDER BY id")
    assert got == [
        {"id": "c1", "request_id": "r1", "orphan": False},
        {"id": "c2", "request_id": "gone", "orphan": True},
        {"id": "c3", "request_id": "call:c3", "orphan": True},
    ]


def test_totals_count_calls_and_sum_figures_with_null_as_zero(tmp_path):
    con = analysed_snapshot(tmp_path, [usage_row("r1")], [
        call_row("c1", "r1", input_tokens=10, output_tokens=None, price="0.1"),
        call_row("c2", "r1", input_tokens=5, output_tokens=7, price=None),
        call_row("c3", "r1", input_tokens=None, output_tokens=1, price="0.2", cache_read_tokens=3),
    ])
    got = rows(con, "SELECT * EXCLUDE (first_call_at) FROM inference_totals")
    assert got == [{
        "request_id": "r1", "orphan": False, "calls": 3, "input_tokens": 15, "output_tokens": 8,
        "cache_read_tokens": 3, "cache_write_tokens": 0, "price": Decimal("0.3"),
        # no call names a model: none is priced, so nothing is expected rather than $0
        "expected_price": None, "unpriced_calls": 3, "priced_calls_price": None,
        "first_user_id": None, "models": None,
    }]


def test_synthetic_request_takes_the_earliest_call_with_a_user(tmp_path):
    con = analysed_snapshot(tmp_path, [], [
        call_row("c1", "gone", created_at="2026-10-01T10:00:00Z", user_id=None),
        call_row("c2", "gone", created_at="2026-10-01T10:00:05Z", user_id="late"),
        call_row("c3", "gone", created_at="2026-10-01T10:00:02Z", user_id="early"),
    ])
    got = rows(con, "SELECT first_user_id, first_call_at::VARCHAR AS at FROM inference_totals")
    assert got == [{"first_user_id": "early", "at": "2026-10-01 10:00:00+00"}]


def test_token_totals_are_exact_up_to_bigint_and_a_request_past_it_stops_the_build(tmp_path):
    """Each call's count is below 10^15, so a request needs 9,224 such calls to pass BIGINT."""
    largest = 999_999_999_999_999
    fits = [call_row(f"f{i}", "fits", input_tokens=largest) for i in range(9223)]
    con = analysed_snapshot(tmp_path, [usage_row("fits")], fits)
    assert rows(con, "SELECT input_tokens FROM inference_totals") == [{"input_tokens": 9223 * largest}]
    con.close()

    source = write_sqlite(tmp_path / "past.db", [usage_row("too\nmany")],
                          [call_row(f"c{i}", "too\nmany", input_tokens=largest) for i in range(9224)])
    result = CliRunner().invoke(cli.main, ["build", "--source", f"sqlite://{source}", "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    assert result.output == ('reportgen: cannot report the source: request "too\\nmany" has more than '
                             "9223372036854775807 tokens of one kind in its inference calls, "
                             "more than reportgen counts\n")
    assert not (tmp_path / "out" / "latest").exists()


def test_models_are_the_distinct_named_models_of_the_calls_in_order(tmp_path):
    con = analysed_snapshot(tmp_path, [usage_row("r1")], [
        call_row("c1", "r1", model="gpt-b"), call_row("c2", "r1", model="gpt-a"),
        call_row("c3", "r1", model="gpt-b"), call_row("c4", "r1", model=None), call_row("c5", "r1", model=" "),
    ])
    assert rows(con, "SELECT models FROM inference_totals") == [{"models": "gpt-a, gpt-b"}]
