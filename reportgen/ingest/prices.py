"""The price table of a snapshot (docs/reference.md, "Expected price"): the operator's own CSV
(`prices` in the config), or else the prices genai-prices bundles for the models the inference
calls name, resolved once per distinct model (never per call) and written to `price_table`.
The analysis prices every call from that table in SQL (sql/analysis/expected_prices.sql)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

import duckdb
import genai_prices
from genai_prices import data_snapshot, types

from .. import sql
from ..config import Config, ConfigError
from .sources import first_line, quote_ident, quote_literal

CSV_COLUMNS = ("model", "input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "valid_from")
CSV_REQUIRED = ("model", "input_mtok", "output_mtok")
UNITS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")
ALWAYS = "-infinity"  # valid_from of prices without a start date


def _sql(name: str) -> str:
    return (resources.files(sql) / "prices" / name).read_text(encoding="utf-8")


def load_price_table(con: duckdb.DuckDBPyConnection, config: Config) -> str:
    """Create and fill `price_table`; returns where its prices come from, in words."""
    con.execute(_sql("price_table.sql"))
    if config.prices:
        _from_csv(con, config.prices)
        return f"your price table {config.prices.name}"
    _from_genai_prices(con)
    return f"genai-prices {genai_prices.__version__} (bundled)"


def _from_csv(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Raises ConfigError naming the line and the problem of the first bad row."""
    where = quote_literal(str(path))
    try:
        header = [row[0] for row in con.execute(
            f"DESCRIBE SELECT * FROM read_csv({where}, header = true, all_varchar = true)").fetchall()]
    except duckdb.Error as e:
        raise ConfigError(f"cannot read the price table {path}: {first_line(e)}") from None
    present = {name.strip().lower(): name for name in header}
    missing = [name for name in CSV_REQUIRED if name not in present]
    if missing:
        raise ConfigError(f"the price table {path} has no column {missing[0]!r} "
                          f"(its columns: {', '.join(CSV_COLUMNS)})")
    selects = [f"{quote_ident(present[name])} AS {name}" if name in present else f"NULL::VARCHAR AS {name}"
               for name in CSV_COLUMNS]
    con.execute(f"CREATE TEMP TABLE price_csv_raw AS SELECT row_number() OVER () + 1 AS line, {', '.join(selects)} "
                f"FROM read_csv({where}, header = true, all_varchar = true)")
    con.execute(_sql("from_csv.sql"))
    bad = con.execute("SELECT line, problem FROM price_csv WHERE problem IS NOT NULL ORDER BY line LIMIT 1").fetchone()
    if bad:
        raise ConfigError(f"the price table {path}, line {bad[0]}: {bad[1]}")
    con.execute("INSERT INTO price_table SELECT model, valid_from, -1, input_mtok, output_mtok, cache_read_mtok, "
                f"cache_write_mtok, {quote_literal(path.name)} FROM price_csv")
    con.execute("DROP TABLE price_csv; DROP TABLE price_csv_raw")


def _from_genai_prices(con: duckdb.DuckDBPyConnection) -> None:
    models = [row[0] for row in con.execute(
        "SELECT DISTINCT model FROM inference_calls WHERE model IS NOT NULL ORDER BY model").fetchall()]
    rows = [row for model in models for row in model_rows(model)]
    if rows:
        con.executemany("INSERT INTO price_table VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def model_rows(model: str) -> list[tuple]:
    """The price_table rows of one model as genai-prices prices it: one per start date of its
    prices and tier of its input; none when genai-prices does not know it (its calls are unpriced)."""
    snapshot = data_snapshot.get_snapshot()
    try:
        provider, info = snapshot.find_provider_model(model, None, None, None)
    except LookupError:
        return []
    rows = []
    for valid_from, moment in _price_periods(info):
        price = info.get_prices(moment)
        if getattr(price, "input_mtok", None) is None and getattr(price, "output_mtok", None) is None:
            continue  # not priced by the token
        for tier_start, prices in _tiers(price):
            rows.append((model, valid_from, tier_start, *prices, f"{provider.id}/{info.id}"))
    return rows


def _price_periods(info: types.ModelInfo) -> list[tuple[str, datetime]]:
    """(valid_from, a moment in that period) for each period of a model's prices. Periods start on
    the dates of its StartDateConstraints (UTC days, as genai-prices has them); a moment is noon
    UTC of the day, so a time-of-day discount is not taken for the whole day (it is not applied)."""
    if isinstance(info.prices, types.ModelPrice):
        return [(ALWAYS, datetime(2000, 1, 1, 12, tzinfo=UTC))]
    starts = sorted({c.constraint.start_date for c in info.prices
                     if isinstance(c.constraint, types.StartDateConstraint)})
    periods = [(ALWAYS, datetime(1970, 1, 1, 12, tzinfo=UTC))]
    periods += [(f"{day.isoformat()}T00:00:00+00:00", datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
                for day in starts]
    return periods


def _tiers(price: types.ModelPrice) -> list[tuple[int, tuple[Decimal | None, ...]]]:
    """(tier_start, the four unit prices) from the base tier up: a row for every start at which
    any unit's price changes, each unit at the price of its highest tier starting at or below it."""
    values = [getattr(price, unit, None) for unit in UNITS]
    starts = sorted({tier.start for v in values if isinstance(v, types.TieredPrices) for tier in v.tiers})
    rows = []
    for start in [-1, *starts]:
        rows.append((start, tuple(_at(v, start) for v in values)))
    return rows


def _at(value: Decimal | types.TieredPrices | None, start: int) -> Decimal | None:
    if not isinstance(value, types.TieredPrices):
        return value
    applicable = value.base
    for tier in value.tiers:  # sorted by start
        if tier.start <= start:
            applicable = tier.price
    return applicable
