"""publish.py: atomic swap of latest, retention, lock, leftovers, manifest."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC

import pytest
from helpers import usage_row, write_sqlite

from reportgen.hosting import manifest, publish
from reportgen.ingest.sources import SourceError
from reportgen.pipeline import build


@pytest.fixture
def source(tmp_path):
    return f"sqlite://{write_sqlite(tmp_path / 's.db', [usage_row('r1', price='1')], [])}"


def test_latest_points_at_the_newest_complete_snapshot(tmp_path, config_for, source):
    first = build(config_for(source), workers=1)
    second = build(config_for(source), workers=1)
    out = tmp_path / "out"
    assert os.readlink(out / "latest") == f"snapshots/{second.snapshot_id}"
    assert publish.snapshot_ids(out) == sorted([first.snapshot_id, second.snapshot_id])
    assert first.snapshot_id < second.snapshot_id  # sortable by time
    assert manifest.verify(out / "latest") == []
    assert (out / "latest" / "api" / "meta.json").is_file()


def test_manifest_detects_a_changed_or_missing_file(tmp_path, config_for, source):
    site = build(config_for(source), workers=1).path
    (site / "index.html").write_text("tampered")
    (site / "api" / "meta.json").unlink()
    assert sorted(manifest.verify(site)) == ["api/meta.json", "index.html"]


def test_retention_keeps_the_newest_and_never_latest(tmp_path, config_for, source):
    ids = [build(config_for(source, keep=2), workers=1).snapshot_id for _ in range(4)]
    out = tmp_path / "out"
    assert publish.snapshot_ids(out) == ids[-2:]
    publish.point_latest(out, ids[-2])  # roll back, then build with keep=1
    newest = build(config_for(source, keep=1), workers=1).snapshot_id
    assert publish.snapshot_ids(out) == [newest]
    publish.point_latest(out, newest)
    assert publish.prune(out, 1) == []


def test_failed_build_leaves_latest_and_no_staging(tmp_path, config_for, source):
    good = build(config_for(source), workers=1)
    with pytest.raises(SourceError):
        build(config_for(f"sqlite://{tmp_path}/missing.db"), workers=1)
    out = tmp_path / "out"
    assert publish.latest_id(out) == good.snapshot_id
    assert [p.name for p in (out / "snapshots").iterdir()] == [good.snapshot_id]


def test_leftover_staging_folders_are_cleaned_by_the_next_build(tmp_path, config_for, source):
    out = tmp_path / "out"
    (out / "snapshots" / ".tmp-20200101T000000Z-dead00").mkdir(parents=True)
    build(config_for(source), workers=1)
    assert not any(p.name.startswith(".tmp-") for p in (out / "snapshots").iterdir())


def test_second_build_waits_then_gives_up_without_changes(tmp_path, config_for, source):
    out = tmp_path / "out"
    with publish.build_lock(out):
        started = time.monotonic()
        with pytest.raises(publish.LockBusy, match="another build is running"):
            build(config_for(source), wait_seconds=0.3, workers=1)
        assert time.monotonic() - started >= 0.3
    assert publish.snapshot_ids(out) == []


def test_waiting_build_proceeds_when_the_lock_is_released(tmp_path, config_for, source):
    out = tmp_path / "out"
    release = threading.Event()

    def hold():
        with publish.build_lock(out):
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    threading.Timer(0.3, release.set).start()
    result = build(config_for(source), wait_seconds=5, workers=1)
    holder.join()
    assert publish.latest_id(out) == result.snapshot_id


def test_snapshot_id_format():
    from datetime import datetime
    sid = publish.new_snapshot_id(datetime(2026, 11, 25, 3, 7, 2, tzinfo=UTC))
    assert sid.startswith("20261125T030702.000000Z-") and len(sid) == len("20261125T030702.000000Z-") + 6
    # a clock that went backwards still gives a later id
    later = publish.new_snapshot_id(datetime(2020, 1, 1, tzinfo=UTC), after=sid)
    assert later.startswith("20261125T030702.000001Z-") and later > sid


def test_manifest_lists_every_file_of_the_snapshot(tmp_path, config_for, source):
    site = build(config_for(source), workers=2).path
    listed = {line.split("  ", 1)[1] for line in (site / manifest.MANIFEST).read_text().splitlines()}
    on_disk = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} - {manifest.MANIFEST}
    assert listed == on_disk


def test_an_incomplete_snapshot_is_not_published(tmp_path):
    folder = tmp_path / "stage"
    folder.mkdir()
    (folder / "index.html").write_text("x")
    with pytest.raises(publish.PublishError, match="no manifest"):
        manifest.check_complete(folder, ["index.html"])
    (folder / manifest.MANIFEST).write_text("00  index.html\n")
    with pytest.raises(publish.PublishError, match="api/meta.json missing"):
        manifest.check_complete(folder, ["index.html", "api/meta.json"])
