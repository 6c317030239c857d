"""Stage 2, analysis: runs sql/analysis/ against a snapshot: effective requests, inference
totals, discrepancies, user summary, headline figures and the JSON API's rows. Reads and writes
only that file."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..config import Config
from ..ingest.connection import connect, writing
from ..ingest.sources import SourceError
from ..window import Window
from . import run_stage


def analyse(config: Config, db_path: Path, window: Window = Window()) -> None:
    """`window` narrows the report to requests created in [start, end); their calls come along."""
    with writing(db_path):
        _analyse(config, db_path, window)


def _analyse(config: Config, db_path: Path, window: Window) -> None:
    con = connect(db_path)
    try:
        con.execute("SET VARIABLE price_tolerance = ?::DECIMAL(38, 12)", [str(config.price_tolerance)])
        con.execute("SET VARIABLE timezone = ?", [config.timezone])
        con.execute("SET VARIABLE cache_included = ?", [config.token_convention == "cache_included"])
        for name, bound in (("window_start", window.start), ("window_end", window.end)):
            con.execute(f"SET VARIABLE {name} = ?::TIMESTAMPTZ", [bound.isoformat() if bound else None])
        con.execute("CREATE OR REPLACE TABLE budgets (scope VARCHAR, key VARCHAR, label VARCHAR, "
                    "monthly_usd DECIMAL(38, 12))")
        if config.budgets:
            con.executemany("INSERT INTO budgets VALUES (?, ?, ?, ?::DECIMAL(38, 12))",
                            [(b.scope, b.key, b.label, str(b.monthly_usd)) for b in config.budgets])
        try:
            run_stage(con, "analysis")
        except duckdb.InvalidInputException as e:  # an error() of the SQL's own (analysis/macros.sql)
            reason = str(e).partition("Invalid Input Error: ")[2].strip()
            if not reason.startswith("request "):
                raise
            raise SourceError(f"cannot report the source: {reason}") from None
        con.execute("CHECKPOINT")
    finally:
        con.close()


def exceeded_budgets(db_path: Path) -> list[str]:
    """The budgets the latest month's spend is over, in words (budget_status.sql)."""
    con = connect(db_path, read_only=True)
    try:
        rows = con.execute("SELECT label, month, budget, spend FROM budget_status WHERE current AND exceeded "
                           "ORDER BY n").fetchall()
    finally:
        con.close()
    return [f"{label} spent ${spend.normalize():f} of ${budget.normalize():f} in {month}"
            for label, month, budget, spend in rows]
