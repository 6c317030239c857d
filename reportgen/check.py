"""`reportgen check`: read the source as a build would (snapshot + analysis into a temporary
folder), and say what is in it without writing a site."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import window
from .config import Config
from .ingest import snapshot
from .ingest.connection import connect
from .ingest.sources import open_source
from .site import queries as pages
from .sql.analyse import analyse


@dataclass(frozen=True)
class CheckReport:
    source_label: str
    counts: list[snapshot.TableCount]
    reasons: list[dict]  # table_name, reason, column_name, rows
    examples: list[dict]  # table_name, reason, column_name, position, value, original
    orphan_requests: int
    orphan_calls: int
    no_calls: int
    date_range: dict[str, tuple[str | None, str | None]]  # table -> (first, last) created_at, ISO UTC
    window: dict[str, str | None]


def check_source(config: Config, now: datetime | None = None) -> CheckReport:
    """Raises SourceError when the source cannot be read, like a build."""
    source = open_source(config.source or "")
    report_window = window.resolve(config.since, config.until, config.timezone, now or datetime.now(UTC))
    with tempfile.TemporaryDirectory(prefix="reportgen-check-") as tmp:
        db = Path(tmp) / "check.duckdb"
        counts = snapshot.take_snapshot(config, source, db, "check", (now or datetime.now(UTC)).isoformat())
        analyse(config, db, report_window)
        con = connect(db, read_only=True)
        try:
            totals = pages.discrepancy_totals(con)
            orphan_calls = con.execute("SELECT count(*) FROM calls WHERE orphan").fetchone()[0]
            iso = pages.ISO_UTC
            date_range = {
                table: tuple(con.execute(f"SELECT {iso.format('min(created_at)')}, {iso.format('max(created_at)')} "
                                         f"FROM {table}").fetchone())
                for table in ("usage", "inference_calls")
            }
            return CheckReport(source.label, counts, pages.rejected_summary(con), pages.rejected_examples(con, 3),
                               totals["orphan"], orphan_calls, totals["no_calls"], date_range,
                               report_window.iso())
        finally:
            con.close()
