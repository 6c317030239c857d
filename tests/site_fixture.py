"""A small, hand-made source covering every case the site must show, built with a fixed clock
and snapshot id so its output is byte-for-byte reproducible (the golden site)."""

from __future__ import annotations

from pathlib import Path

from helpers import call_row, usage_row, write_sqlite

from reportgen.config import load_config
from reportgen.ingest import snapshot
from reportgen.ingest.sources import open_source
from reportgen.site import render
from reportgen.sql import changes
from reportgen.sql.analyse import analyse

HOSTILE = "<script>alert('x')</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(1)>'
FULL = {"input_tokens": 100, "output_tokens": 20, "cache_read_tokens": 0, "cache_write_tokens": 0,
        "price": "0.0015"}


def source_rows() -> tuple[list[dict], list[dict]]:
    usage = [
        usage_row("r1", "2026-10-01T09:00:00Z", "alice", handle="Alice", model="gpt-4o", **FULL),
        usage_row("r2", "2026-10-01T10:00:00Z", "alice", model="gpt-4o", **{**FULL, "output_tokens": 25}),
        usage_row("r3", "2026-10-02T11:00:00Z", "bob", handle=HOSTILE, model=HOSTILE_ATTR, **{**FULL, "price": "0.9"}),
        usage_row("r4", "2026-10-03T12:00:00Z", "bob", model="gpt-4o-mini", input_tokens=5),
        usage_row("r5", "2026-10-03T13:00:00Z", "zoë", handle="Zoë Ångström", **FULL),
        usage_row("a b/../c", "2026-10-04T08:00:00Z", "zoë", **FULL),
        usage_row(None, "2026-10-04T08:00:00Z", "nobody"),
        usage_row("r6", "not a time", "alice"),
    ]
    calls = [
        call_row("c1", "r1", "2026-10-01T09:00:01Z", user_id="alice", model="gpt-4o", **FULL),
        call_row("c2", "r2", "2026-10-01T10:00:01Z", user_id="alice", model="gpt-4o", **FULL),
        call_row("c3", "r3", "2026-10-02T11:00:01Z", user_id="bob", model=HOSTILE_ATTR, **FULL),
        call_row("c4", "r4", "2026-10-03T12:00:01Z", user_id="bob", model="gpt-4o-mini", input_tokens=5,
                 price="0.0001"),
        call_row("c5", "gone", "2026-10-03T14:00:00Z", user_id="carol", model="gpt-4o", **FULL),
        call_row("c6", None, "2026-10-04T09:00:00Z", model="gpt-4o", **FULL),
        call_row("c7", "a b/../c", "2026-10-04T08:00:01Z", user_id="zoë", model="gpt-4o", **FULL),
        call_row("c8", "r1", "later", user_id="alice"),
    ]
    return usage, calls


PREVIOUS_ID = "20261031T000000.000000Z-before"


def previous_rows() -> tuple[list[dict], list[dict]]:
    """The fixture as the previous snapshot saw it: r5 not written yet (new), r0 since deleted
    (removed, with its no_calls discrepancy resolved), r2 and r3 before their figures were
    corrected (changed, each with a new discrepancy), r1's call under another id, same figures
    (changed: its set of calls differs)."""
    usage, calls = source_rows()
    usage = [u for u in usage if u["id"] != "r5"]
    usage.append(usage_row("r0", "2026-09-30T09:00:00Z", "alice", handle="Alice", model="gpt-4o", **FULL))
    for u in usage:
        if u["id"] in ("r2", "r3"):
            u.update(output_tokens=20, price="0.0015")
    for c in calls:
        if c["id"] == "c1":
            c["id"] = "c0"
    return usage, calls


def _snapshot(tmp: Path, name: str, rows: tuple[list[dict], list[dict]], snapshot_id: str, now: str) -> Path:
    db_source = write_sqlite(tmp / f"{name}.db", *rows)
    config = load_config(None, {"source": f"sqlite://{db_source}", "page_size": 2,
                                "title": "Fixture usage", "timezone": "Europe/Paris"})
    folder = tmp / name
    folder.mkdir()
    db = folder / "snapshot.duckdb"
    snapshot.take_snapshot(config, open_source(config.source), db, snapshot_id, now)
    analyse(config, db)
    return db


def build_fixed_site(tmp: Path, page_size: int = 2, notes: str | None = None, workers: int = 1) -> Path:
    """Snapshot + analysis + render of the fixture into tmp/site, with a fixed id and clock."""
    usage, calls = source_rows()
    db_source = write_sqlite(tmp / "fixture.db", usage, calls)
    config = load_config(None, {"source": f"sqlite://{db_source}", "page_size": page_size,
                                "title": "Fixture usage", "timezone": "Europe/Paris"})
    site = tmp / "site"
    site.mkdir()
    db = tmp / "snapshot.duckdb"
    snapshot.take_snapshot(config, open_source(config.source), db, "20261101T000000.000000Z-golden",
                           "2026-11-01T00:00:00+00:00")
    analyse(config, db)
    previous = _snapshot(tmp, "previous", previous_rows(), PREVIOUS_ID, "2026-10-31T00:00:00+00:00").parent
    changes.compare_in_build(db, "20261101T000000.000000Z-golden", changes.Previous(PREVIOUS_ID, previous))
    render.render_site(config, db, site, workers=workers, notes=notes)
    return site
