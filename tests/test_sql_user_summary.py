"""sql/analysis/user_summary.sql and headline.sql."""

from decimal import Decimal

from helpers import analysed_snapshot, call_row, rows, usage_row


def test_user_summary_sums_effective_requests(tmp_path):
    con = analysed_snapshot(tmp_path, [
        usage_row("r1", user_id="a", handle="Alice", input_tokens=10, output_tokens=1, cache_read_tokens=0,
                  cache_write_tokens=0, price="1.10", created_at="2026-10-01T00:00:00Z"),
        usage_row("r2", user_id="a", input_tokens=5, output_tokens=1, cache_read_tokens=0, cache_write_tokens=0,
                  price="0.20", created_at="2026-10-03T00:00:00Z"),
        usage_row("r3", user_id="b", price="5"),
    ], [
        call_row("c1", "r1", input_tokens=10, output_tokens=1, price="1.10"),
        call_row("c2", "gone", user_id="a", input_tokens=2, price="0.05", created_at="2026-10-02T00:00:00Z"),
    ])
    got = rows(con, "SELECT * EXCLUDE (first_seen, last_seen), first_seen::VARCHAR AS first_seen, "
                    "last_seen::VARCHAR AS last_seen FROM user_summary")
    assert got == [
        {"user_id": "b", "handle": "b", "requests": 1, "input_tokens": 0, "output_tokens": 0,
         "cache_read_tokens": 0, "cache_write_tokens": 0, "price": Decimal("5"), "discrepancies": 1,
         "usage_over_inference": Decimal(0), "usage_under_inference": Decimal(0),  # no calls: no difference
         "source": "mixed", "first_seen": "2026-10-01 10:00:00+00", "last_seen": "2026-10-01 10:00:00+00"},
        {"user_id": "a", "handle": "Alice", "requests": 3, "input_tokens": 17, "output_tokens": 2,
         "cache_read_tokens": 0, "cache_write_tokens": 0, "price": Decimal("1.35"),
         # r2 has no calls, the orphan "gone" is an orphan: two requests with a discrepancy
         "discrepancies": 2, "usage_over_inference": Decimal(0), "usage_under_inference": Decimal(0),
         "source": "mixed",
         "first_seen": "2026-10-01 00:00:00+00", "last_seen": "2026-10-03 00:00:00+00"},
    ]


def test_user_source_is_usage_or_inference_only_when_every_request_is(tmp_path):
    full = dict(input_tokens=1, output_tokens=1, cache_read_tokens=0, cache_write_tokens=0, price="1")
    con = analysed_snapshot(tmp_path, [usage_row("r1", user_id="u", **full), usage_row("r2", user_id="u", **full)],
                            [call_row("c1", None, user_id="v"), call_row("c2", "x", user_id="v")])
    got = {r["user_id"]: r["source"] for r in rows(con, "SELECT user_id, source FROM user_summary")}
    assert got == {"u": "usage", "v": "inference"}


def test_price_over_users_equals_price_over_requests_and_headline(tmp_path):
    con = analysed_snapshot(tmp_path, [usage_row("r1", price="0.1"), usage_row("r2", user_id="u2", price="0.2")],
                            [call_row("c1", None, price="0.3"), call_row("c2", "r1", price="0.7")])
    (by_users,), (by_requests,), (headline,) = (
        con.execute(q).fetchall()[0] for q in (
            "SELECT sum(price) FROM user_summary", "SELECT sum(price) FROM requests", "SELECT price FROM headline"))
    assert by_users == by_requests == headline == Decimal("0.6")


def test_headline_of_an_empty_source(tmp_path):
    con = analysed_snapshot(tmp_path, [], [])
    got = rows(con, "SELECT requests, users, price, rows_rejected FROM headline")
    assert got == [{"requests": 0, "users": 0, "price": Decimal(0), "rows_rejected": 0}]


def test_price_differences_are_summed_by_sign(tmp_path):
    con = analysed_snapshot(tmp_path, [
        usage_row("r1", user_id="a", price="1.25"), usage_row("r2", user_id="a", price="0.5"),
        usage_row("r3", user_id="a", price="0.3"), usage_row("r4", user_id="a"),
    ], [call_row("c1", "r1", price="1"), call_row("c2", "r2", price="0.75"), call_row("c3", "r3", price="0.3"),
        call_row("c4", "r4", price="9")])
    got = rows(con, "SELECT usage_over_inference, usage_under_inference FROM user_summary")
    # r1 +0.25, r2 -0.25, r3 0, r4 has no usage price: no difference
    assert got == [{"usage_over_inference": Decimal("0.25"), "usage_under_inference": Decimal("0.25")}]
    differences = rows(con, "SELECT id, difference_price, difference_input_tokens FROM requests ORDER BY id")
    assert differences == [{"id": "r1", "difference_price": Decimal("0.25"), "difference_input_tokens": None},
                           {"id": "r2", "difference_price": Decimal("-0.25"), "difference_input_tokens": None},
                           {"id": "r3", "difference_price": Decimal(0), "difference_input_tokens": None},
                           {"id": "r4", "difference_price": None, "difference_input_tokens": None}]
