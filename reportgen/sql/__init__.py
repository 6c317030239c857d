"""SQL files, one table each, grouped by stage (snapshot/, analysis/) and run in the order
listed in each folder's ORDER file. Read as package resources, so an installed reportgen
finds them wherever it is installed."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

import duckdb


def ordered_files(stage: str) -> list[Traversable]:
    folder = resources.files(__package__) / stage
    names = [
        line.strip()
        for line in (folder / "ORDER").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return [folder / name for name in names]


def run_stage(con: duckdb.DuckDBPyConnection, stage: str) -> None:
    for path in ordered_files(stage):
        con.execute(path.read_text(encoding="utf-8"))
