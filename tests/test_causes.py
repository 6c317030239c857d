"""Why each difference (README "Likely causes"): per-call flags and the likely cause of each
tokens or price discrepancy, computed in SQL, against the rules written again in plain Python
(tests/reference.py), on hand-made cases and on generated ones; and shown in words."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from bs4 import BeautifulSoup
from helpers import analysed_snapshot, call_row, rows, usage_row, write_sqlite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import call_flags, compute, likely_cause

from reportgen.pipeline import build
from reportgen.site import urls

T = "2026-10-01T10:00:00Z"
FIG = {"input_tokens": 10, "output_tokens": 5, "cache_read_tokens": 0, "cache_write_tokens": 0, "price": "1"}

CASES = {  # request id -> (usage figures, its calls, the cause the rules give)
    "other": ({**FIG}, [dict(FIG, user_id="mallory", input_tokens=9)], "other_user"),
    "far": ({**FIG, "price": "2"}, [dict(FIG, created_at="2026-10-01T12:00:01Z")], "far_call"),
    "cache": ({**FIG, "cache_read_tokens": 7}, [dict(FIG)], "cache_only"),
    "missing": ({**FIG, "input_tokens": 20, "price": "2"}, [dict(FIG)], "missing_calls"),
    "extra": ({**FIG}, [dict(FIG), dict(FIG, input_tokens=1, output_tokens=0, price="0")], "extra_calls"),
    "mixed": ({**FIG, "input_tokens": 20, "output_tokens": 1}, [dict(FIG)], "mixed_tokens"),
    "priced": ({**FIG, "price": "1.5"}, [dict(FIG)], "pricing"),
    "fine": ({**FIG}, [dict(FIG, created_at="2026-10-01T10:59:00Z")], None),
}


def case_rows():
    usage, calls = [], []
    for rid, (figures, its_calls, _) in CASES.items():
        usage.append(usage_row(rid, T, "alice", **figures))
        for k, call in enumerate(its_calls):
            call = {"user_id": "alice", "created_at": "2026-10-01T10:00:01Z", **call}
            calls.append(call_row(f"{rid}-{k}", rid, **call))
    return usage, calls


def sql_causes(con) -> dict:
    return {r["id"]: r["cause"] for r in rows(con, "SELECT a.id, c.cause FROM api_requests a "
                                                   "LEFT JOIN request_causes c ON c.n = a.n")}


def reference_causes(usage, calls) -> tuple[dict, dict]:
    ref = compute(usage, calls)
    calls_of: dict[str, list] = {}
    for call in ref.calls:
        calls_of.setdefault(call["request_id"], []).append(call)
    causes = {rid: likely_cause(r, calls_of.get(rid, [])) for rid, r in ref.requests.items()}
    flags = {c["id"]: call_flags(ref.requests[c["request_id"]], c) for c in ref.calls}
    return causes, flags


def test_each_rule_on_a_case_of_its_own(tmp_path):
    usage, calls = case_rows()
    con = analysed_snapshot(tmp_path, usage, calls)
    assert sql_causes(con) == {rid: cause for rid, (_, _, cause) in CASES.items()}
    assert sql_causes(con) == reference_causes(usage, calls)[0]
    flags = {r["id"]: r["flags"] for r in rows(con, "SELECT id, flags FROM api_calls")}
    assert flags["other-0"] == ["other_user"] and flags["far-0"] == ["far_from_request"]
    assert flags["fine-0"] == []  # 59 minutes is not far
    by = rows(con, "SELECT dimension, key, cause, requests FROM causes_by WHERE dimension IN ('all', 'user')")
    assert {(b["dimension"], b["cause"]) for b in by if b["requests"] == 1} == {
        (d, c) for d in ("all", "user") for c in CASES_WITH_A_CAUSE}


CASES_WITH_A_CAUSE = {cause for _, _, cause in CASES.values() if cause}

USERS = st.sampled_from(["alice", "bob", None])
TIMES = st.sampled_from(["2026-10-01T10:00:00Z", "2026-10-01T10:30:00Z", "2026-10-01T11:00:01Z",
                         "2026-10-02T10:00:00Z"])
TOKENS = st.one_of(st.integers(0, 3), st.none())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({
    "created_at": TIMES, "input_tokens": TOKENS, "output_tokens": TOKENS, "cache_read_tokens": TOKENS,
    "cache_write_tokens": TOKENS, "price": st.sampled_from(["1", "2", None]),
    "calls": st.lists(st.fixed_dictionaries({
        "created_at": TIMES, "user_id": USERS, "input_tokens": st.integers(0, 3), "output_tokens": st.integers(0, 3),
        "cache_read_tokens": st.integers(0, 3), "cache_write_tokens": st.integers(0, 3),
        "price": st.sampled_from(["1", "0.5"])}), max_size=3)}), min_size=1, max_size=6))
def test_generated_requests_agree_with_the_rules(requests):
    usage, calls = [], []
    for i, r in enumerate(requests):
        its_calls = r.pop("calls")
        usage.append(usage_row(f"r{i}", user_id="alice", **r))
        calls += [call_row(f"r{i}-{k}", f"r{i}", **c) for k, c in enumerate(its_calls)]
    with tempfile.TemporaryDirectory() as tmp:
        con = analysed_snapshot(Path(tmp), usage, calls)
        causes, flags = reference_causes(usage, calls)
        assert sql_causes(con) == causes
        assert {r["id"]: r["flags"] for r in rows(con, "SELECT id, flags FROM api_calls")} == flags


def test_causes_and_flags_are_shown_in_words(tmp_path, config_for):
    db = write_sqlite(tmp_path / "s.db", *case_rows())
    site = build(config_for(f"sqlite://{db}"), workers=1).path
    page = BeautifulSoup((site / urls.request("other")).read_text(encoding="utf-8"), "html.parser")
    assert page.select_one("p.cause").get_text(" ", strip=True).startswith(
        "Likely cause: a call made for another user")
    assert page.select_one("table.calls span.call-flag").get_text(strip=True) == "⚠ made for another user"
    far = BeautifulSoup((site / urls.request("far")).read_text(encoding="utf-8"), "html.parser")
    assert far.select_one("span.call-flag").get_text(strip=True) == "⚠ more than an hour from its request"
    tokens = BeautifulSoup((site / urls.discrepancy_page("tokens", 1)).read_text(encoding="utf-8"), "html.parser")
    assert {tr.select("td")[-1].get_text() for tr in tokens.select("table.differences tbody tr")} == {
        "a call made for another user", "only the cache token columns differ",
        "calls missing: usage counts more tokens than its calls", "extra calls: its calls count more tokens than usage",
        "token counts differ in both directions"}
    overview = BeautifulSoup((site / urls.DISCREPANCIES).read_text(encoding="utf-8"), "html.parser")
    causes = {tr.th.get_text(): tr.td.get_text() for tr in overview.select("table.causes tbody tr")}
    assert causes == {"a call made for another user": "1", "a call more than an hour away from the request": "1",
                      "only the cache token columns differ": "1",
                      "calls missing: usage counts more tokens than its calls": "1",
                      "extra calls: its calls count more tokens than usage": "1",
                      "token counts differ in both directions": "1", "tokens match but the price differs": "1"}
    user = BeautifulSoup((site / urls.user("alice")).read_text(encoding="utf-8"), "html.parser")
    assert len(user.select("table.causes tbody tr")) == 7


def test_over_and_under_per_model_and_per_day_match_the_reference(tmp_path):
    """model_summary and daily split each price difference by sign, as user_summary does."""
    usage, calls = [], []
    plan = [("a", "gpt-4o", "2026-10-01T10:00:00Z", "1.5", "1"), ("b", "gpt-4o", "2026-10-01T23:59:00Z", "0.5", "1"),
            ("c", "mini", "2026-10-02T00:01:00Z", "2.25", "2"), ("d", "mini", "2026-10-02T08:00:00Z", "1", "1"),
            ("e", "gpt-4o", "2026-10-03T08:00:00Z", None, "4")]
    for rid, model, at, usage_price, call_price in plan:
        usage.append(usage_row(rid, at, "alice", model=model, price=usage_price))
        calls.append(call_row(f"{rid}-0", rid, at, user_id="alice", model=model, price=call_price))
    con = analysed_snapshot(tmp_path, usage, calls)
    ref = compute(usage, calls)
    model_of = {rid: model for rid, model, *_ in plan}
    expected_models: dict = {}
    expected_days: dict = {}
    for rid, r in ref.requests.items():
        difference = r["difference"]["price"] or 0
        for table, key in ((expected_models, model_of[rid]), (expected_days, r["created_at"].date().isoformat())):
            over, under, flagged = table.get(key, (0, 0, 0))
            table[key] = (over + max(difference, 0), under + max(-difference, 0), flagged + bool(r["discrepancies"]))
    got_models = {r["model"]: (r["usage_over_inference"], r["usage_under_inference"], r["discrepancies"])
                  for r in rows(con, "SELECT * FROM model_summary")}
    got_days = {r["day"]: (r["usage_over_inference"], r["usage_under_inference"], r["discrepancies"])
                for r in rows(con, "SELECT day::VARCHAR AS day, * EXCLUDE (day) FROM daily")}
    assert got_models == expected_models
    assert got_days == expected_days
    assert got_models["gpt-4o"][:2] == (Decimal("0.5"), Decimal("0.5"))  # not netted to zero
