"""Calendar months (api/months.json, csv/months.csv, months.html, the index's month to date),
checked against an independent computation from the reference reading of the contract."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from helpers import call_row, load_json, usage_row, write_sqlite
from reference import compute

from reportgen.pipeline import build
from reportgen.site import urls

ZONE = "Europe/Paris"


def fixture_rows():
    usage, calls = [], []
    moments = ["2026-09-03T08:00:00Z", "2026-09-20T12:00:00Z", "2026-09-30T22:30:00Z",  # Oct 1st in Paris
               "2026-10-02T09:00:00Z", "2026-10-15T09:00:00Z", "2026-10-20T11:00:00Z", "2026-10-31T23:30:00Z",
               "2026-11-01T10:00:00Z", "2026-11-05T07:00:00Z"]
    for i, at in enumerate(moments):
        user = ("ann", "bob", "cy")[i % 3]
        model = ("gpt-4o", "claude-haiku-4-5", None)[i % 3]
        usage.append(usage_row(f"r{i}", created_at=at, user_id=user, model=model, input_tokens=100 * (i + 1),
                               output_tokens=10, price=f"0.{i + 1}{i}"))
        if i % 4:  # every fourth request has no calls (a discrepancy); one call disagrees on price
            price = f"0.{i + 1}{i}" if i != 5 else "9"
            calls.append(call_row(f"c{i}", f"r{i}", created_at=at, user_id=user, model=model or "gpt-4o",
                                  input_tokens=100 * (i + 1), output_tokens=10, price=price))
    return usage, calls


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from reportgen.config import load_config

    tmp = tmp_path_factory.mktemp("months")
    usage, calls = fixture_rows()
    db = write_sqlite(tmp / "s.db", usage, calls)
    site = build(load_config(None, {"source": f"sqlite://{db}", "out": tmp / "out", "timezone": ZONE}),
                 workers=1).path
    return site, compute(usage, calls)


def reference_months(ref) -> dict[tuple[str, str, str | None], dict]:
    """(month, dimension, key) -> figures, from the reference's effective requests."""
    zone = ZoneInfo(ZONE)
    found: dict = defaultdict(lambda: {"requests": 0, "price": Decimal(0), "input_tokens": 0, "discrepancies": 0,
                                       "usage_over_inference": Decimal(0), "usage_under_inference": Decimal(0)})
    call_models = defaultdict(set)
    for c in ref.calls:
        if c["model"] is not None:
            call_models[c["request_id"]].add(c["model"])
    for r in ref.requests.values():
        month = r["created_at"].astimezone(zone).strftime("%Y-%m")
        # a request's model: its usage row's, else those its calls name (PRODUCT.md §2's effective figures)
        model = next((u["model"] for u in ref.usage if u["id"] == r["id"]), None)
        model = model or ", ".join(sorted(call_models[r["id"]])) or None
        for key in ((month, "all", None), (month, "user", r["user_id"]), (month, "model", model)):
            f = found[key]
            f["requests"] += 1
            f["price"] += r["price"]
            f["input_tokens"] += r["input_tokens"]
            f["discrepancies"] += bool(r["discrepancies"])
            difference = r["difference"]["price"] or Decimal(0)
            f["usage_over_inference"] += max(difference, Decimal(0))
            f["usage_under_inference"] += max(-difference, Decimal(0))
    return dict(found)


FIGURES = ("requests", "price", "input_tokens", "discrepancies", "usage_over_inference", "usage_under_inference")


def test_months_json_matches_the_reference_per_month_user_and_model(built):
    site, ref = built
    doc = load_json(site / urls.API_MONTHS)
    assert doc["timezone"] == ZONE
    got = {}
    for month in doc["months"]:
        got[(month["month"], "all", None)] = {f: month[f] for f in FIGURES}
        got.update({(month["month"], "user", u["user_id"]): {f: u[f] for f in FIGURES} for u in month["users"]})
        got.update({(month["month"], "model", m["model"]): {f: m[f] for f in FIGURES} for m in month["models"]})
    assert got == reference_months(ref)
    assert [m["month"] for m in doc["months"]] == ["2026-09", "2026-10", "2026-11"]
    october = doc["months"][1]
    assert october["requests"] == 4  # 22:30 UTC on Sep 30th is October in Paris; 23:30 on Oct 31st is November


def test_month_to_date_against_the_same_days_of_the_month_before(built):
    site, ref = built
    mtd = load_json(site / urls.API_MONTHS)["month_to_date"]
    zone = ZoneInfo(ZONE)
    latest = max(r["created_at"] for r in ref.requests.values()).astimezone(zone)
    assert mtd["through"] == latest.astimezone(ZoneInfo("UTC")).isoformat(timespec="microseconds")
    start = latest.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    before_start, before_end = (start - timedelta(days=1)).replace(day=1), latest.replace(month=latest.month - 1)

    def window(lo: datetime, hi: datetime) -> dict:
        inside = [r for r in ref.requests.values()
                  if lo.replace(tzinfo=None) <= r["created_at"].astimezone(zone).replace(tzinfo=None)
                  <= hi.replace(tzinfo=None)]
        return {"requests": len(inside), "price": sum((r["price"] for r in inside), Decimal(0))}

    assert {k: mtd["current"][k] for k in ("requests", "price")} == window(start, latest)
    assert {k: mtd["previous"][k] for k in ("requests", "price")} == window(before_start, before_end)
    assert (mtd["current_from"], mtd["previous_from"]) == ("2026-11-01T00:00:00", "2026-10-01T00:00:00")
    assert mtd["previous_to"] == before_end.strftime("%Y-%m-%dT%H:%M:%S")

    index = BeautifulSoup((site / urls.INDEX).read_text(encoding="utf-8"), "html.parser")
    spend = next(tr for tr in index.select("table.month-to-date tbody tr") if tr.th.get_text() == "Spend")
    now, before = window(start, latest)["price"], window(before_start, before_end)["price"]
    assert [td.get_text() for td in spend.select("td")] == [f"${now:.6f}", f"${before:.6f}", f"{now - before:+.6f}"
                                                           .replace("+", "+$").replace("-", "-$")]


def test_months_csv_has_a_row_per_month_user_and_model(built):
    site, _ = built
    doc = load_json(site / urls.API_MONTHS)
    with open(site / urls.CSV_MONTHS, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == sum(1 + len(m["users"]) + len(m["models"]) for m in doc["months"])
    total = [r for r in rows if r["dimension"] == "all"]
    assert [(r["month"], Decimal(r["price"])) for r in total] == [(m["month"], m["price"]) for m in doc["months"]]
    assert {r["handle"] for r in rows if r["dimension"] == "user"} == {"ann", "bob", "cy"}


def test_months_page_and_user_pages_show_every_month(built):
    site, _ = built
    page = BeautifulSoup((site / urls.MONTHS).read_text(encoding="utf-8"), "html.parser")
    first = page.select_one("table.months")
    assert [tr.th.get_text() for tr in first.select("tbody tr")] == ["2026-09", "2026-10", "2026-11"]
    assert page.select_one(f'a[href="{urls.CSV_MONTHS}"]') and page.select_one(f'a[href="{urls.API_MONTHS}"]')
    user = BeautifulSoup((site / urls.user("bob")).read_text(encoding="utf-8"), "html.parser")
    assert [tr.th.get_text() for tr in user.select("table.months tbody tr")] == ["2026-09", "2026-10", "2026-11"]
