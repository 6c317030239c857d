"""An independent, plain-Python reading of PRODUCT.md §1-2, to check the SQL against.

Deliberately written without looking at the SQL: row loops, dicts and Decimals. Slow, but only
ever run on test-sized data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from genai_prices import Usage, calc_price

TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
FIGURES = (*TOKENS, "price")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_timestamp(value) -> datetime | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        if len(text.lstrip("-")) > 15:
            return None
        number = int(text)
        millis = number if abs(number) >= 10**11 else number * 1000
        return EPOCH + timedelta(milliseconds=millis)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?")


def figure_problem(column: str, value) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip()
    number = _decimal(text) if NUMBER.fullmatch(text) else None  # Decimal() alone takes "1_000"
    if number is None:
        return "not_a_number"
    if number < 0:
        return "negative"
    if column != "price" and number != number.to_integral_value():
        return "not_a_whole_number"
    if column == "price" and number != 0 and -number.normalize().as_tuple().exponent > 12:
        return "too_precise"
    if abs(number) >= 10**15:
        return "out_of_range"
    return None


def figure_value(column: str, value):
    if _blank(value):
        return None
    number = _decimal(value)
    return int(number) if column != "price" else number


@dataclass
class Reference:
    counts: dict = field(default_factory=dict)  # table -> (read, accepted, rejected)
    rejected: list = field(default_factory=list)  # (table, position, reason)
    usage: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    requests: dict = field(default_factory=dict)  # id -> request dict
    users: dict = field(default_factory=dict)  # user_id -> summary dict


def check_rows(table: str, rows: list[dict], required_user: bool) -> tuple[list[dict], list[tuple]]:
    accepted, rejected, seen = [], [], set()
    for position, row in enumerate(rows, start=1):
        row_id = row.get("id")
        row_id = None if _blank(row_id) else str(row_id)
        reason = None
        usage_id = row.get("usage_id")
        if row_id is None:
            reason = "missing_id"
        elif required_user and row_id.startswith("call:"):
            reason = "reserved_id"  # the names of synthetic requests
        elif row_id in seen:
            reason = "duplicate_id"
        elif not required_user and not _blank(usage_id) and str(usage_id).startswith("call:"):
            reason = "reserved_id"
        elif required_user and _blank(row.get("user_id")):
            reason = "missing_user_id"
        elif parse_timestamp(row.get("created_at")) is None:
            reason = "bad_timestamp"
        else:
            for column in FIGURES:
                reason = figure_problem(column, row.get(column))
                if reason:
                    break
        if row_id is not None:
            seen.add(row_id)
        if reason:
            rejected.append((table, position, reason))
            continue
        typed = {
            "id": row_id,
            "created_at": parse_timestamp(row.get("created_at")),
            "user_id": None if _blank(row.get("user_id")) else str(row.get("user_id")),
            "model": None if _blank(row.get("model")) else str(row.get("model")),
            **{c: figure_value(c, row.get(c)) for c in FIGURES},
        }
        if table == "usage":
            typed["handle"] = None if _blank(row.get("handle")) else str(row.get("handle"))
        else:
            typed["usage_id"] = None if _blank(row.get("usage_id")) else str(row.get("usage_id"))
        accepted.append(typed)
    return accepted, rejected


def expected_price(call: dict, cache_included: bool = False) -> Decimal | None:
    """What genai-prices itself says the call costs (None: it does not know the model, or the
    tokens do not fit the convention). genai-prices counts cache tokens inside input_tokens."""
    if call["model"] is None:
        return None
    plain, output, cache_read, cache_write = (call[c] or 0 for c in TOKENS)
    all_input = plain if cache_included else plain + cache_read + cache_write
    if all_input < cache_read + cache_write:
        return None
    usage = Usage(input_tokens=all_input, output_tokens=output, cache_read_tokens=cache_read,
                  cache_write_tokens=cache_write)
    try:
        return calc_price(usage, model_ref=call["model"], genai_request_timestamp=call["created_at"]).total_price
    except LookupError:
        return None


def compute(usage_rows: list[dict], call_rows: list[dict], tolerance: Decimal = Decimal("0.000001"),
            cache_included: bool = False) -> Reference:
    ref = Reference()
    ref.usage, rejected_usage = check_rows("usage", usage_rows, required_user=True)
    ref.calls, rejected_calls = check_rows("inference_calls", call_rows, required_user=False)
    ref.rejected = rejected_usage + rejected_calls
    ref.counts = {
        "usage": (len(usage_rows), len(ref.usage), len(rejected_usage)),
        "inference_calls": (len(call_rows), len(ref.calls), len(rejected_calls)),
    }
    usage_by_id = {u["id"]: u for u in ref.usage}

    calls_of: dict[str, list[dict]] = {}
    for call in ref.calls:
        request_id = call["usage_id"] if call["usage_id"] is not None else f"call:{call['id']}"
        call["request_id"] = request_id
        calls_of.setdefault(request_id, []).append(call)

    def totals(calls: list[dict]) -> dict:
        result = {"calls": len(calls)}
        for column in FIGURES:
            zero = Decimal(0) if column == "price" else 0
            result[column] = sum((c[column] or zero for c in calls), zero)
        priced = [e for e in (expected_price(c, cache_included) for c in calls) if e is not None]
        # no calls: nothing expected; calls none of which is priced: None, never $0
        result["expected_price"] = sum(priced, Decimal(0)) if priced or not calls else None
        result["unpriced_calls"] = len(calls) - len(priced)
        return result

    handles: dict[str, tuple] = {}
    for u in ref.usage:
        if u["handle"] is not None:
            key = (u["created_at"], u["id"])
            if u["user_id"] not in handles or key > handles[u["user_id"]][0]:
                handles[u["user_id"]] = (key, u["handle"])

    for u in ref.usage:
        calls = calls_of.get(u["id"], [])
        inference = totals(calls)
        figures = {c: u[c] if u[c] is not None else inference[c] for c in FIGURES}
        from_inference = sum(u[c] is None for c in FIGURES)
        kinds = []
        if calls and any(u[c] is not None and u[c] != inference[c] for c in TOKENS):
            kinds.append("tokens")
        if calls and u["price"] is not None and abs(u["price"] - inference["price"]) > tolerance:
            kinds.append("price")
        if not calls:
            kinds.append("no_calls")
        ref.requests[u["id"]] = {
            "id": u["id"], "user_id": u["user_id"], "created_at": u["created_at"], **figures,
            "source": "usage" if from_inference == 0 else "inference" if from_inference == 5 else "mixed",
            "discrepancies": kinds, "inference": inference,
            "handle": u["handle"] or handles.get(u["user_id"], (None, u["user_id"]))[1],
            # usage minus inference, where both exist to compare
            "difference": {c: u[c] - inference[c] if calls and u[c] is not None else None for c in FIGURES},
        }

    for request_id, calls in calls_of.items():
        if request_id in usage_by_id:
            continue
        earliest = min(calls, key=lambda c: (c["created_at"], c["id"]))
        with_user = [c for c in calls if c["user_id"] is not None]
        user = min(with_user, key=lambda c: (c["created_at"], c["id"]))["user_id"] if with_user else "(unknown)"
        inference = totals(calls)
        ref.requests[request_id] = {
            "id": request_id, "user_id": user, "created_at": earliest["created_at"],
            **{c: inference[c] for c in FIGURES},
            "source": "inference", "discrepancies": ["orphan"], "inference": inference,
            "handle": handles.get(user, (None, user))[1], "difference": dict.fromkeys(FIGURES),
        }

    for r in ref.requests.values():
        s = ref.users.setdefault(r["user_id"], {
            "user_id": r["user_id"], "handle": handles.get(r["user_id"], (None, r["user_id"]))[1],
            "requests": 0, **{c: 0 for c in TOKENS}, "price": Decimal(0), "discrepancies": 0,
            "first_seen": r["created_at"], "last_seen": r["created_at"], "sources": set(),
            "usage_over_inference": Decimal(0), "usage_under_inference": Decimal(0),
        })
        price_difference = r["difference"]["price"] or Decimal(0)
        s["usage_over_inference"] += max(price_difference, Decimal(0))
        s["usage_under_inference"] += max(-price_difference, Decimal(0))
        s["requests"] += 1
        for c in FIGURES:
            s[c] += r[c]
        s["discrepancies"] += bool(r["discrepancies"])
        s["first_seen"] = min(s["first_seen"], r["created_at"])
        s["last_seen"] = max(s["last_seen"], r["created_at"])
        s["sources"].add(r["source"])
    for s in ref.users.values():
        sources = s.pop("sources")
        s["source"] = sources.pop() if len(sources) == 1 and sources <= {"usage", "inference", "mixed"} else "mixed"
    return ref


def call_flags(request: dict, call: dict) -> list[str]:
    """A call that does not look like its request's (README, "Likely causes"), flags in order."""
    flags = []
    if call["user_id"] is not None and call["user_id"] != request["user_id"]:
        flags.append("other_user")
    if abs((call["created_at"] - request["created_at"]).total_seconds()) > 3600:
        flags.append("far_from_request")
    return flags


def likely_cause(request: dict, calls: list[dict]) -> str | None:
    """The first rule of help.md's "Likely causes" that holds, for a tokens or price discrepancy."""
    kinds = request["discrepancies"]
    if "tokens" not in kinds and "price" not in kinds:
        return None
    flags = [flag for call in calls for flag in call_flags(request, call)]
    if "other_user" in flags:
        return "other_user"
    if "far_from_request" in flags:
        return "far_call"
    if "tokens" in kinds:
        d = {c: request["difference"][c] or 0 for c in TOKENS}
        if d["input_tokens"] == 0 and d["output_tokens"] == 0:
            return "cache_only"
        if all(v >= 0 for v in d.values()):
            return "missing_calls"
        if all(v <= 0 for v in d.values()):
            return "extra_calls"
        return "mixed_tokens"
    return "pricing"
