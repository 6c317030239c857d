"""Runs sql/analysis against a snapshot: effective requests, inference totals, discrepancies,
user summary, headline figures and the JSON API's rows. Reads and writes only that file."""

from __future__ import annotations

from pathlib import Path

from .config import Config
from .snapshot import connect
from .sql import run_stage


def analyse(config: Config, db_path: Path) -> None:
    con = connect(db_path)
    try:
        con.execute("SET VARIABLE price_tolerance = ?::DECIMAL(38, 12)", [str(config.price_tolerance)])
        con.execute("SET VARIABLE timezone = ?", [config.timezone])
        run_stage(con, "analysis")
        con.execute("CHECKPOINT")
    finally:
        con.close()
