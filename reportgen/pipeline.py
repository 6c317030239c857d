"""One build, end to end: config -> snapshot -> analysis -> render -> publish, under OUT's lock.
The only module that knows every stage; each stage knows only the one before it."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import window
from .config import Config
from .crashpoints import stop_here
from .hosting import manifest, publish
from .ingest import snapshot
from .ingest.connection import SNAPSHOT_DB
from .ingest.sources import open_source
from .site import render
from .sql import changes
from .sql.analyse import analyse, exceeded_budgets

log = logging.getLogger("reportgen")

@dataclass(frozen=True)
class BuildResult:
    snapshot_id: str
    path: Path
    counts: list[snapshot.TableCount]
    files: int
    exceeded_budgets: tuple[str, ...] = ()  # budgets the latest month's spend is over, in words

    @property
    def report(self) -> Path:
        return self.path.parent.parent / publish.LATEST / "index.html"

    def summary(self) -> list[str]:
        return [f"snapshot {self.snapshot_id}: {self.files} files",
                *(f"  {c.table}: {c.rows_read} rows read, {c.rows_accepted} accepted, {c.rows_rejected} rejected"
                  for c in self.counts),
                f"snapshot: {self.path}"]


def build(config: Config, wait_seconds: float = 0, workers: int | None = None,
          progress: Callable[[int], Callable[[int], None]] | None = None,
          now: datetime | None = None) -> BuildResult:
    """Build and publish one snapshot. `progress(total)` returns a callback advanced once per
    render task. Raises SourceError, LockBusy, PublishError or OutputError; on any failure the
    published `latest` is left untouched."""
    if not config.source:
        raise ValueError("no source given")
    source = open_source(config.source, config.source_timeout)
    now = now or datetime.now(UTC)
    report_window = window.resolve(config.since, config.until, config.timezone, now)
    out = config.out
    with publish.build_lock(out, wait_seconds):
        publish.check_latest_is_a_link(out)  # before any work: the swap at the end would fail
        for leftover in publish.clean_leftovers(out):
            log.info("removed %s, left by a build that did not finish", leftover)
        existing = publish.snapshot_ids(out)
        snapshot_id = publish.new_snapshot_id(now, after=existing[-1] if existing else None)
        staging = publish.staging_dir(out, snapshot_id)
        latest = publish.latest_id(out)
        previous = changes.Previous(latest, out / publish.SNAPSHOTS / latest if latest else None)
        try:
            final = _build_into(config, source, staging, snapshot_id, now, report_window, workers, progress,
                                previous)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        pruned = publish.prune(out, config.keep)
        for old in pruned:
            log.info("pruned snapshot %s (keep = %d)", old, config.keep)
        return final


class TooManyRejected(Exception):
    """More of a table's rows were rejected than max_rejected_ratio allows."""


def check_rejected_ratio(config: Config, counts: list[snapshot.TableCount]) -> None:
    if config.max_rejected_ratio is None:
        return
    for c in counts:
        if c.rows_read and c.rows_rejected / c.rows_read > config.max_rejected_ratio:
            raise TooManyRejected(
                f"{c.rows_rejected} of {c.rows_read} {c.table} rows rejected "
                f"({c.rows_rejected / c.rows_read:.1%}), more than max_rejected_ratio {config.max_rejected_ratio:g}; "
                "nothing published (see `reportgen check`)")


def _build_into(config: Config, source, staging: Path, snapshot_id: str, now: datetime,
                report_window: window.Window, workers, progress, previous: changes.Previous) -> BuildResult:
    db_path = staging / SNAPSHOT_DB
    log.info("snapshot %s: reading %s", snapshot_id, source.label)
    stop_here("snapshot")
    started = time.perf_counter()
    counts = snapshot.take_snapshot(config, source, db_path, snapshot_id, now.isoformat(timespec="seconds"))
    for c in counts:
        log.info("%s: %d rows read, %d accepted, %d rejected", c.table, c.rows_read, c.rows_accepted,
                 c.rows_rejected)
    log.info("snapshot taken in %.1f s", time.perf_counter() - started)
    check_rejected_ratio(config, counts)
    log.info("analysing")
    started = time.perf_counter()
    analyse(config, db_path, report_window)
    exceeded = tuple(exceeded_budgets(db_path))
    log.info("analysed in %.1f s", time.perf_counter() - started)
    log.info("comparing with the previous snapshot %s", previous.snapshot_id or "(none)")
    started = time.perf_counter()
    comparison = changes.compare_in_build(db_path, snapshot_id, previous, render.render_key(config))
    log.info("compared in %.1f s", time.perf_counter() - started)
    if comparison.note:
        log.info("%s", comparison.note)
    log.info("%d requests' files can be linked from the previous snapshot", comparison.shared)
    stop_here("render")
    log.info("rendering")
    notes = config.notes.read_text(encoding="utf-8") if config.notes else None
    started = time.perf_counter()
    stats = render.render_site(config, db_path, staging, workers or render.default_workers(), progress, notes,
                               previous.folder if comparison.shared else None, config.out / publish.RENDER_CACHE)
    files = stats.files
    log.info("rendered %d files in %d tasks in %.1f s (%d of them linked from the previous snapshot); largest "
             "render process %.0f MB", files, stats.tasks, time.perf_counter() - started, stats.linked,
             stats.worker_rss_mb)
    if stats.search:
        log.info("search index (Pagefind): %d files, %.1f MB in %.1f s, %.1f s of it after the pages",
                 stats.search.files, stats.search.bytes / 2**20, stats.search.seconds, stats.search.waited)
    manifest.add_file(staging, SNAPSHOT_DB)
    manifest.check_complete(staging)
    stop_here("before-rename")
    final = publish.publish(config.out, staging, snapshot_id, between=lambda: stop_here("before-swap"))
    stop_here("after-swap")
    log.info("published %s (%d files)", final, files)
    return BuildResult(snapshot_id, final, counts, files, exceeded)
