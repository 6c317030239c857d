"""SQL files, one table each, grouped by stage (snapshot/, analysis/) and run in the order
listed in each folder's ORDER file."""

from __future__ import annotations

from pathlib import Path

import duckdb

HERE = Path(__file__).parent


def ordered_files(stage: str) -> list[Path]:
    folder = HERE / stage
    names = [
        line.strip()
        for line in (folder / "ORDER").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return [folder / name for name in names]


def run_stage(con: duckdb.DuckDBPyConnection, stage: str) -> None:
    for path in ordered_files(stage):
        con.execute(path.read_text())
