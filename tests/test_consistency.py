"""A SQLite source that keeps being written during the build is read as of one moment (SQLite's
backup API): requests written with their calls never show up as orphans or without calls."""

from __future__ import annotations

import sqlite3
import threading
import time

import duckdb
from click.testing import CliRunner

from reportgen import cli, demo


def test_sqlite_writer_during_the_build(tmp_path):
    path = tmp_path / "live.db"
    demo.generate(path, rows=1500, seed=2)
    stop, written = threading.Event(), [0]

    def writer() -> None:
        con = sqlite3.connect(path, timeout=30, isolation_level=None)
        n = 0
        while not stop.is_set():
            n += 1
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO usage (id, created_at, user_id, price) VALUES (?, '2026-10-15T00:00:00Z', "
                        "'writer', '2')", [f"w-{n}"])
            con.executemany("INSERT INTO inference_calls (id, usage_id, created_at, price) VALUES "
                            "(?, ?, '2026-10-15T00:00:01Z', '1')", [(f"wc-{n}-a", f"w-{n}"), (f"wc-{n}-b", f"w-{n}")])
            con.execute("COMMIT")
            written[0] = n
            time.sleep(0.001)
        con.close()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.3)
    try:
        for _ in range(2):
            result = CliRunner().invoke(cli.main, ["build", "--source", f"sqlite://{path}", "--out",
                                                   str(tmp_path / "o")])
            assert result.exit_code == 0, result.stderr
    finally:
        stop.set()
        thread.join()
    con = duckdb.connect(str(tmp_path / "o" / "latest" / "snapshot.duckdb"), read_only=True)
    seen = con.execute("SELECT count(*) FROM requests WHERE user_id = 'writer'").fetchone()[0]
    flagged = con.execute("SELECT count(*) FROM requests WHERE (starts_with(id, 'w-') OR starts_with(id, 'call:wc'))"
                          " AND len(discrepancies) > 0").fetchone()[0]
    assert seen > 0 and flagged == 0
    assert written[0] > seen
