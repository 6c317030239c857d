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

    def lines(self) -> list[str]:
        """What `reportgen check` prints."""
        out = [f"source: {self.source_label}"]
        for c in self.counts:
            first, last = self.date_range[c.table]
            out.append(f"{c.table}: {c.rows_read} rows read, {c.rows_accepted} accepted, {c.rows_rejected} rejected; "
                       f"created_at from {first or '-'} to {last or '-'}")
        if self.window["since"] or self.window["until"]:
            out.append(f"window: since {self.window['since'] or '-'} until {self.window['until'] or '-'}")
        out.append(f"orphans: {self.orphan_calls} inference calls in {self.orphan_requests} requests "
                   "without a usage row")
        out.append(f"no_calls: {self.no_calls} usage rows without inference calls")
        if self.reasons:
            out.append("rejected rows by reason:")
        for r in self.reasons:
            out.append(f"  {r['table_name']}: {r['reason']} ({r['column_name']}): {r['rows']}")
            out += [f"    row {e['position']}: {e['column_name']} = {e['value']!r}" for e in self.examples
                    if (e["table_name"], e["reason"]) == (r["table_name"], r["reason"])]
        return out


def check_source(config: Config, now: datetime | None = None) -> CheckReport:
    """Raises SourceError when the source cannot be read, like a build."""
    source = open_source(config.source or "", config.source_timeout)
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
