"""A deterministic, realistic month of an LLM product's usage, written to a SQLite file.

Prices come from genai-prices' bundled tables (no network). A few percent of requests carry each
awkward case the report must handle (PRODUCT.md §1-2), and the hostile strings it must escape.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path

from genai_prices import Usage, calc_price

MONTH_START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 31
PRICE_PLACES = Decimal("0.000000000001")

# (model, provider, share of requests)
MODELS = [
    ("gpt-4o", "openai", 0.25),
    ("gpt-4o-mini", "openai", 0.30),
    ("claude-sonnet-4-5", "anthropic", 0.20),
    ("claude-haiku-4-5", "anthropic", 0.15),
    ("gemini-2.5-flash", "google", 0.10),
]
UNPRICED_MODEL = "acme-ft-7b"  # priced by the demo itself (UNPRICED_MODEL_PRICES), unknown to genai-prices
HOSTILE_HANDLES = [
    "<script>alert('handle')</script>",
    '"><img src=x onerror=alert(1)>',
    "Zoë Ångström",
    "李雷",
    "O'Brien & Sons",
    "Ελένη {{ 7*7 }}",
]
HOSTILE_MODEL = '<b onmouseover="alert(1)">gpt-4o</b>'
UNSAFE_IDS = ["../escape", "a b/c", "ünïcode-Ω", "x" * 150, "page-1", ".hidden"]

USAGE_COLUMNS = ("id", "created_at", "user_id", "handle", "model", "input_tokens", "output_tokens",
                 "cache_read_tokens", "cache_write_tokens", "price")
CALL_COLUMNS = ("id", "usage_id", "created_at", "user_id", "model", "input_tokens", "output_tokens",
                "cache_read_tokens", "cache_write_tokens", "price")


@dataclass(frozen=True)
class UnitPrices:
    """USD per token of each kind."""
    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal


UNPRICED_MODEL_PRICES = UnitPrices(Decimal("0.0000004"), Decimal("0.0000016"), Decimal("0.0000001"),
                                   Decimal("0.0000005"))


def unit_prices(model: str, provider: str) -> UnitPrices:
    # Priced per 1,000 tokens to stay below long-context tiers; cache prices are what a cached
    # token costs, so the plain input price is subtracted (genai-prices counts cache in input).
    n = 1000

    def price(**kw: int) -> Decimal:
        return calc_price(Usage(**kw), model_ref=model, provider_id=provider).total_price / n

    plain = price(input_tokens=n)
    return UnitPrices(
        input=plain,
        output=price(output_tokens=n),
        cache_read=price(input_tokens=n, cache_read_tokens=n),
        cache_write=price(input_tokens=n, cache_write_tokens=n),
    )


def generate(path: Path, rows: int = 3000, seed: int = 7) -> dict[str, int]:
    """Write a demo SQLite file with about `rows` requests; returns rows written per table."""
    rng = random.Random(seed)
    prices = {m: unit_prices(m, p) for m, p, _ in MODELS}
    users = _users(rng, max(50, rows // 200))
    usage_rows: list[tuple] = []
    call_rows: list[tuple] = []
    call_seq = 0

    prices[UNPRICED_MODEL] = UNPRICED_MODEL_PRICES
    for n in range(1, rows + 1):
        user_id, handle = _pick_user(rng, users)
        model = rng.choices([m for m, _, _ in MODELS], weights=[w for _, _, w in MODELS])[0]
        if n % 97 == 0:  # a fine-tuned model no price table knows: its calls are unpriced
            model = UNPRICED_MODEL
        at = MONTH_START + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        request_id = _request_id(n)
        calls = []
        for _ in range(rng.randint(1, 8)):
            call_seq += 1
            calls.append(_call(rng, call_seq, request_id, user_id, model, prices[model], at))
        if n % 53 == 0:  # a call billed at an old rate: consistent with usage, 10 % over the price table
            calls[0][9] = str((Decimal(calls[0][9]) * Decimal("1.1")).quantize(PRICE_PLACES))
        case = rng.random()
        usage = _usage_from_calls(request_id, at, user_id, handle, model, calls)
        usage, calls = _awkward(rng, case, usage, calls)
        if usage is not None:
            usage_rows.append(usage)
        call_rows.extend(calls)

    for k, unsafe in enumerate(UNSAFE_IDS):
        at = MONTH_START + timedelta(days=k + 1, hours=3)
        call_seq += 1
        call = _call(rng, call_seq, unsafe, "u-hostile", "gpt-4o-mini", prices["gpt-4o-mini"], at)
        usage_rows.append(_usage_from_calls(unsafe, at, "u-hostile", HOSTILE_HANDLES[0], "gpt-4o-mini", [call]))
        call_rows.append(call)

    usage_rows = [_with_timestamp_style(rng, row, 1) for row in usage_rows]
    call_rows = [_with_timestamp_style(rng, row, 2) for row in call_rows]
    _add_bad_rows(rng, usage_rows, call_rows)
    _write(path, usage_rows, call_rows)
    return {"usage": len(usage_rows), "inference_calls": len(call_rows)}


def _users(rng: random.Random, count: int) -> list[tuple[str, str, float]]:
    names = ["alice", "bob", "chen", "dara", "emeka", "fatima", "giulia", "hiro", "ines", "jonas"]
    users = []
    for i in range(count):
        handle = HOSTILE_HANDLES[i % len(HOSTILE_HANDLES)] if i % 9 == 4 else f"{names[i % len(names)]}{i}"
        # long tail: a few heavy users, many light ones
        users.append((f"u{i:04d}", handle, 1 / (i + 1) ** 1.1))
    rng.shuffle(users)
    return users


def _pick_user(rng: random.Random, users: list[tuple[str, str, float]]) -> tuple[str, str | None]:
    user_id, handle, _ = rng.choices(users, weights=[w for _, _, w in users])[0]
    return user_id, (handle if rng.random() > 0.05 else None)


def _request_id(n: int) -> int | str:
    # SQLite is dynamically typed: the original product wrote integer and text ids in one column
    return n if n % 3 else f"req-{n}"


def _call(rng, seq: int, request_id, user_id, model, unit: UnitPrices, at: datetime) -> list:
    input_tokens = int(rng.lognormvariate(7, 1)) + 20
    output_tokens = int(rng.lognormvariate(5.5, 1)) + 5
    cache_read = int(input_tokens * rng.uniform(0.2, 3)) if rng.random() < 0.4 else 0
    cache_write = int(input_tokens * rng.uniform(0.5, 1.5)) if rng.random() < 0.1 else 0
    price = (input_tokens * unit.input + output_tokens * unit.output + cache_read * unit.cache_read
             + cache_write * unit.cache_write).quantize(PRICE_PLACES)
    when = at + timedelta(seconds=rng.uniform(0, 40))
    return [seq, request_id, when, user_id if rng.random() > 0.03 else None, model,
            input_tokens, output_tokens, cache_read, cache_write, str(price)]


def _usage_from_calls(request_id, at, user_id, handle, model, calls) -> list:
    totals = [sum(c[i] for c in calls) for i in (5, 6, 7, 8)]
    price = sum(Decimal(c[9]) for c in calls)
    return [request_id, at, user_id, handle, model, *totals, str(price)]


def _awkward(rng: random.Random, case: float, usage: list, calls: list) -> tuple[list | None, list]:
    """Turn a few percent of requests into each case the report must flag or fall back on."""
    if case < 0.03:  # tokens recorded differently from what the provider reported
        usage[6] += rng.randint(1, 500)
    elif case < 0.06:  # price charged differs from the provider's
        usage[9] = str(Decimal(usage[9]) + Decimal(rng.randint(1, 5000)) / 100000)
    elif case < 0.08:  # price differs, but within the default tolerance of 0.000001 USD
        usage[9] = str(Decimal(usage[9]) + Decimal("0.0000004"))
    elif case < 0.10:  # figures not recorded: the report falls back to inference totals
        usage[9] = None
        if rng.random() < 0.5:
            usage[5:9] = [None, None, None, None]
    elif case < 0.12:  # a request whose calls were never written
        calls = []
    elif case < 0.14:  # calls whose usage row is missing (orphans with a usage_id)
        usage = None
    elif case < 0.15:  # calls written without a usage_id at all
        for c in calls:
            c[1] = None
        usage = None
    if usage is not None and case > 0.995:
        usage[4] = HOSTILE_MODEL
    return usage, calls


def _with_timestamp_style(rng: random.Random, row: list, column: int) -> tuple:
    """Mix ISO text (with and without offset), Unix seconds and Unix milliseconds, as the
    original product's several writers did."""
    at: datetime = row[column]
    style = rng.random()
    if style < 0.5:
        text: object = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    elif style < 0.65:
        text = at.astimezone(timezone(timedelta(hours=2))).isoformat()
    elif style < 0.75:
        text = at.strftime("%Y-%m-%d %H:%M:%S")
    elif style < 0.9:
        text = int(at.timestamp())
    else:
        text = int(at.timestamp() * 1000)
    return (*row[:column], text, *row[column + 1:])


def _add_bad_rows(rng: random.Random, usage_rows: list[tuple], call_rows: list[tuple]) -> None:
    """About half a percent of each kind of bad row, placed at random in each table."""
    k = max(2, len(usage_rows) // 200)

    def bad_usage(i: int, **changes) -> tuple:
        row = dict(zip(USAGE_COLUMNS, usage_rows[rng.randrange(len(usage_rows))]))
        row["id"] = f"bad-{i}-{rng.randrange(10**6)}"
        row.update(changes)
        return tuple(row[c] for c in USAGE_COLUMNS)

    bad = []
    for i in range(k):
        bad += [
            bad_usage(i, id=None),
            bad_usage(i, id=usage_rows[rng.randrange(len(usage_rows))][0]),  # duplicate id
            bad_usage(i, user_id=None),
            bad_usage(i, created_at=rng.choice(["not a date", "2026-13-45", "yesterday"])),
            bad_usage(i, output_tokens=-rng.randint(1, 100)),
            bad_usage(i, price=rng.choice(["n/a", "$0.10", "1,5"])),
        ]
    for row in bad:
        usage_rows.insert(rng.randrange(len(usage_rows) + 1), row)

    k = max(2, len(call_rows) // 400)
    bad = []
    for i in range(k):
        base = list(call_rows[rng.randrange(len(call_rows))])
        bad += [
            tuple([None, *base[1:]]),
            tuple(call_rows[rng.randrange(len(call_rows))]),  # duplicate id
            tuple([f"badcall-{i}-a", base[1], "soon", *base[3:]]),
            tuple([f"badcall-{i}-b", *base[1:9], "-0.5"]),
            tuple([f"badcall-{i}-c", *base[1:5], "many", *base[6:]]),
        ]
    for row in bad:
        call_rows.insert(rng.randrange(len(call_rows) + 1), row)


def _write(path: Path, usage_rows: list[tuple], call_rows: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path)
    try:
        # No declared types, as in the original product: SQLite keeps each value's own type.
        con.execute(f"CREATE TABLE usage ({', '.join(USAGE_COLUMNS)})")
        con.execute(f"CREATE TABLE inference_calls ({', '.join(CALL_COLUMNS)})")
        con.executemany(f"INSERT INTO usage VALUES ({', '.join('?' * len(USAGE_COLUMNS))})", usage_rows)
        con.executemany(f"INSERT INTO inference_calls VALUES ({', '.join('?' * len(CALL_COLUMNS))})", call_rows)
        con.commit()
    finally:
        con.close()


def generate_large(path: Path, rows: int, seed: int = 7) -> dict[str, int]:
    """Write a demo DuckDB file of `rows` requests, generated in SQL (demo_large.sql): a million
    requests take well under a minute, where `generate` would take many. Same shape and the same
    shares of awkward cases as `generate`, without its hostile strings and mixed timestamp styles."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    sql = (resources.files(__package__) / "demo_large.sql").read_text(encoding="utf-8")
    con = duckdb.connect(str(path), config={"autoinstall_known_extensions": False,
                                            "autoload_known_extensions": False,
                                            "preserve_insertion_order": False})
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET VARIABLE rows = ?::BIGINT", [rows])
        con.execute("SET VARIABLE seed = ?::BIGINT", [seed])
        con.execute("CREATE TEMP TABLE unit_prices (model VARCHAR, provider VARCHAR, share_from DOUBLE, "
                    "share_to DOUBLE, input DECIMAL(38, 18), output DECIMAL(38, 18), "
                    "cache_read DECIMAL(38, 18), cache_write DECIMAL(38, 18))")
        share_from = 0.0
        for model, provider, share in MODELS:
            unit = unit_prices(model, provider)
            con.execute("INSERT INTO unit_prices VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [model, provider, share_from, share_from + share, unit.input, unit.output,
                         unit.cache_read, unit.cache_write])
            share_from += share
        con.execute("UPDATE unit_prices SET share_to = 1 WHERE share_to = (SELECT max(share_to) FROM unit_prices)")
        con.execute(sql)
        counts = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("usage", "inference_calls")}
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts
