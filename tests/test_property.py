"""Property test over generated sources, bad rows included: the SQL agrees with an independent
Python reading of PRODUCT.md §1-2 (tests/reference.py)."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from helpers import analysed_snapshot, rows
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reference import FIGURES, compute

IDS = st.one_of(st.sampled_from(["1", "2", "3", "r-4", "5", "call:3"]), st.integers(1, 5), st.none(), st.just(""))
USERS = st.one_of(st.sampled_from(["alice", "bob", "<b>carol</b>"]), st.none())
TIMES = st.sampled_from([
    "2026-10-01T10:00:00Z", "2026-10-01T10:00:00+02:00", "2026-10-02 00:00:00", 1790000000, 1790000000123,
    "1790000300", "not a time", None,
])
TOKENS = st.one_of(st.integers(0, 1000), st.none(), st.sampled_from([
    -1, "1.5", "x", "7", "5.0000000000001", "1e-20", "1_000", "1e3", "100e-2", "9999999999999999", "-0"]))
PRICES = st.one_of(
    st.decimals(min_value=0, max_value=10, places=9, allow_nan=False).map(str),
    st.decimals(min_value=0, max_value=1, places=14, allow_nan=False).map(str),
    st.none(), st.sampled_from(["-0.5", "abc", "0.000001", "1e-3", "0.1234567890123", "-1e-30", "-0.0000000000001",
                                "99000000000000000000000000", "1_0.5", "1.5e-3", "999999999999999.5"]),
)


def figures():
    return {"input_tokens": TOKENS, "output_tokens": TOKENS, "cache_read_tokens": TOKENS,
            "cache_write_tokens": TOKENS, "price": PRICES}


USAGE = st.fixed_dictionaries({"id": IDS, "created_at": TIMES, "user_id": USERS,
                               "handle": st.one_of(st.none(), st.sampled_from(["Al", "Bo"])), **figures()})
CALLS = st.fixed_dictionaries({"id": st.one_of(st.integers(1, 30).map(str), st.none()),
                               "usage_id": st.one_of(IDS, st.sampled_from(["gone", "9", "call:9"])),
                               "created_at": TIMES, "user_id": USERS, **figures()})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(USAGE, max_size=12), st.lists(CALLS, max_size=20))
def test_sql_matches_the_reference(usage, calls):
    with tempfile.TemporaryDirectory() as tmp:
        con = analysed_snapshot(Path(tmp), usage, calls)
        ref = compute(usage, calls)

        counts = {t: (r, a, j) for t, r, a, j in con.execute("SELECT * FROM table_counts").fetchall()}
        assert counts == ref.counts
        for read, accepted, rejected in counts.values():
            assert read == accepted + rejected
        got_rejected = sorted(con.execute("SELECT table_name, position, reason FROM rejected_rows").fetchall())
        assert got_rejected == sorted(ref.rejected)

        # every accepted call belongs to exactly one effective request
        orphans = con.execute("SELECT count(*) FROM calls c WHERE (SELECT count(*) FROM requests r "
                              "WHERE r.id = c.request_id) <> 1").fetchone()[0]
        assert orphans == 0 and con.execute("SELECT count(*) FROM calls").fetchone()[0] == len(ref.calls)

        got = {r["id"]: r for r in rows(con, "SELECT * EXCLUDE (created_at), epoch_ms(created_at) AS created_ms "
                                              "FROM requests")}
        assert set(got) == set(ref.requests)
        for request_id, expected in ref.requests.items():
            actual = got[request_id]
            for key in ("user_id", "handle", "source", "discrepancies", "input_tokens", "output_tokens",
                        "cache_read_tokens", "cache_write_tokens", "price"):
                assert actual[key] == expected[key], (request_id, key)
            assert actual["created_ms"] == int(expected["created_at"].timestamp() * 1000), request_id
            assert actual["calls"] == expected["inference"]["calls"]
            assert actual["inference_price"] == expected["inference"]["price"]
            assert {c: actual[f"difference_{c}"] for c in FIGURES} == expected["difference"], request_id

        users = {u["user_id"]: u for u in rows(con, "SELECT * EXCLUDE (first_seen, last_seen) FROM user_summary")}
        assert set(users) == set(ref.users)
        for user_id, expected in ref.users.items():
            for key in ("handle", "requests", "input_tokens", "price", "discrepancies", "source",
                        "usage_over_inference", "usage_under_inference"):
                assert users[user_id][key] == expected[key], (user_id, key)

        total_users = sum((u["price"] for u in users.values()), Decimal(0))
        total_requests = sum((r["price"] for r in got.values()), Decimal(0))
        total_reference = sum((r["price"] for r in ref.requests.values()), Decimal(0))
        assert total_users == total_requests == total_reference


_MACROS: list = []


def _macros():
    """A connection holding the snapshot's macros (made once: hypothesis calls the test many times)."""
    if not _MACROS:
        import duckdb

        from reportgen import sql

        con = duckdb.connect()
        con.execute(next(p for p in sql.ordered_files("snapshot") if p.name == "macros.sql").read_text())
        _MACROS.append(con)
    return _MACROS[0]


NUMBER_TEXT = st.one_of(
    st.from_regex(r"\s?[+-]?[0-9]{0,25}(\.[0-9]{0,25})?([eE][+-]?[0-9]{1,3})?\s?", fullmatch=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.text(max_size=12),
)


@given(NUMBER_TEXT)
@example("30.250746947136936467e5")  # DuckDB 1.5 casts this to DECIMAL(18, 12) with its last digits lost
@example("999999.9999999999995")  # rounds to a million: too large for the fast path's type
@example("-999999.9999999999994")
@example("0.0000000000005")
@example("1_000")
@example("4.067593")
def test_decimal_of_is_the_exact_cast_whatever_path_it_takes(text):
    """decimal_of (snapshot/macros.sql) takes fast paths for plain digits and plain decimals; what
    it gives is always DuckDB's cast of the text to DECIMAL(38, 12), NULL included."""
    same, = _macros().execute("SELECT decimal_of($t) IS NOT DISTINCT FROM TRY_CAST(trim($t) AS DECIMAL(38, 12))",
                              {"t": text}).fetchone()
    assert same, text
