"""--since / --until (window.py, the analysis' window) and `reportgen check`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from helpers import call_row, read_list, usage_row, write_sqlite

from reportgen import cli
from reportgen.config import ConfigError
from reportgen.hosting import publish
from reportgen.window import parse_bound, resolve

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def test_bounds():
    assert parse_bound("2026-10-01", PARIS, NOW, False) == datetime(2026, 10, 1, tzinfo=PARIS)
    assert parse_bound("2026-10-01", PARIS, NOW, True) == datetime(2026, 10, 2, tzinfo=PARIS)  # day included
    assert parse_bound("30d", PARIS, NOW, False) == datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
    assert parse_bound("12h", PARIS, NOW, True) == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert parse_bound("2026-10-01T12:00", PARIS, NOW, False) == datetime(2026, 10, 1, 12, tzinfo=PARIS)
    assert parse_bound("2026-10-01T12:00Z", PARIS, NOW, False) == datetime(2026, 10, 1, 12, tzinfo=UTC)
    with pytest.raises(ConfigError, match="--since 'last tuesday' is not a date"):
        resolve("last tuesday", None, "UTC", NOW)
    with pytest.raises(ConfigError, match="the window is empty"):
        resolve("2026-10-05", "2026-10-04", "UTC", NOW)


@pytest.fixture
def source(tmp_path):
    usage = [
        usage_row("early", "2026-09-30T21:59:00Z", price="1"),  # 23:59 in Paris, Sep 30: out
        usage_row("first", "2026-09-30T22:00:00Z", price="2"),  # 00:00 in Paris, Oct 1: in
        usage_row("last", "2026-10-02T21:59:59Z", price="4"),   # 23:59:59 in Paris, Oct 2: in
        usage_row("late", "2026-10-02T22:00:00Z", price="8"),   # Oct 3 in Paris: out
    ]
    calls = [
        call_row("c-first", "first", "2026-09-30T21:58:00Z", price="2"),  # before the window, comes along
        call_row("c-late", "late", "2026-10-02T22:00:01Z", price="8"),
        call_row("orphan-in", "gone-1", "2026-10-01T10:00:00Z", price="16"),
        call_row("orphan-out", "gone-2", "2026-10-05T10:00:00Z", price="32"),
    ]
    return f"sqlite://{write_sqlite(tmp_path / 's.db', usage, calls)}"


def test_build_with_a_window(tmp_path, source):
    out = tmp_path / "o"
    result = CliRunner().invoke(cli.main, ["build", "--source", source, "--out", str(out), "--timezone",
                                           "Europe/Paris", "--since", "2026-10-01", "--until", "2026-10-02"])
    assert result.exit_code == 0, result.stderr
    site = out / "latest"
    requests = {r["id"]: r for r in read_list(site, "requests")}
    assert set(requests) == {"first", "last", "gone-1"}
    assert requests["first"]["discrepancies"] == []  # its call, outside the window, came along
    assert [c["id"] for c in read_list(site, "inference-calls")] == ["orphan-in", "c-first"]
    assert sum(u["price"] for u in read_list(site, "user-summary")) == 22
    meta = json.loads((site / "api" / "meta.json").read_text())
    assert meta["window"] == {"since": "2026-09-30T22:00:00+00:00", "until": "2026-10-02T22:00:00+00:00"}
    assert "Window: requests" in (site / "index.html").read_text()
    # the rows of the source are all accounted for, in or out of the window
    assert meta["tables"]["usage"] == {"rows_read": 4, "rows_accepted": 4, "rows_rejected": 0}


def test_no_window_by_default(tmp_path, source):
    out = tmp_path / "o"
    assert CliRunner().invoke(cli.main, ["build", "--source", source, "--out", str(out)]).exit_code == 0
    assert json.loads((out / "latest" / "api" / "meta.json").read_text())["window"] == {"since": None, "until": None}
    assert "Window:" not in (out / "latest" / "index.html").read_text()


def test_check_reports_without_writing_a_site(tmp_path):
    db = write_sqlite(tmp_path / "s.db", [usage_row("r1", price="1"), usage_row("r2"), usage_row(None),
                                          usage_row("r3", price="x")],
                      [call_row("c1", "r1"), call_row("c2", "gone"), call_row("c3", None)])
    result = CliRunner().invoke(cli.main, ["check", "--source", f"sqlite://{db}"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "source: sqlite:s.db"
    assert lines[1].startswith("usage: 4 rows read, 2 accepted, 2 rejected; created_at from 2026-10-01T10:00:00")
    assert "orphans: 2 inference calls in 2 requests without a usage row" in lines
    assert "no_calls: 1 usage rows without inference calls" in lines
    assert "  usage: missing_id (id): 1" in lines and "    row 4: price = 'x'" in lines
    assert list(tmp_path.iterdir()) == [tmp_path / "s.db"]


def test_check_exit_codes(tmp_path):
    db = write_sqlite(tmp_path / "s.db", [usage_row("r1"), usage_row(None)], [])
    runner = CliRunner()
    assert runner.invoke(cli.main, ["check", "--source", f"sqlite://{tmp_path}/nope.db"]).exit_code == cli.EXIT_SOURCE
    over = runner.invoke(cli.main, ["check", "--source", f"sqlite://{db}", "--max-rejected-ratio", "0.4"])
    assert over.exit_code == cli.EXIT_REJECTED and "1 of 2 usage rows rejected (50.0%)" in over.stderr
    at_limit = runner.invoke(cli.main, ["check", "--source", f"sqlite://{db}", "--max-rejected-ratio", "0.5"])
    assert at_limit.exit_code == 0


def test_max_rejected_ratio_stops_a_build_before_publishing(tmp_path):
    good = write_sqlite(tmp_path / "good.db", [usage_row("r1")], [])
    bad = write_sqlite(tmp_path / "bad.db", [usage_row("r1"), usage_row(None)], [])
    out = tmp_path / "o"
    runner = CliRunner()
    assert runner.invoke(cli.main, ["build", "--source", f"sqlite://{good}", "--out", str(out)]).exit_code == 0
    before = publish.latest_id(out)
    result = runner.invoke(cli.main, ["build", "--source", f"sqlite://{bad}", "--out", str(out),
                                      "--max-rejected-ratio", "0.1"])
    assert result.exit_code == cli.EXIT_REJECTED and "nothing published" in result.stderr
    assert publish.snapshot_ids(out) == [before]
