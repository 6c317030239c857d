"""snapshot.py and sources/: every source kind, every bad-row kind, mapping and errors."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal

import duckdb
import pytest
from helpers import call_row, rows, usage_row, write_sqlite

from reportgen.config import load_config
from reportgen.ingest.connection import connect
from reportgen.ingest.snapshot import take_snapshot
from reportgen.ingest.sources import SourceError, open_source


def snapshot_of(tmp_path, source: str, **overrides):
    config = load_config(None, {"source": source, **overrides})
    db = tmp_path / "snap.duckdb"
    counts = take_snapshot(config, open_source(source, config.source_timeout), db, "sid", "2026-11-01T00:00:00+00:00")
    return connect(db, read_only=True), {c.table: (c.rows_read, c.rows_accepted, c.rows_rejected) for c in counts}


def test_sqlite_mixed_types_in_one_column_are_all_taken(tmp_path):
    db = tmp_path / "s.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE usage (id INTEGER, created_at, user_id, price REAL, input_tokens)")
    con.execute("CREATE TABLE inference_calls (id, usage_id, created_at)")
    con.executemany("INSERT INTO usage VALUES (?, ?, ?, ?, ?)", [
        (17, "2026-10-01T10:00:00Z", "u", 0.1, 5),
        ("req-18", 1790000000, "u", "0.25", "6"),
        (19, 1790000000123, "u", 1, 7.0),
        (20, "2026-10-01 12:00:00", "u", None, None),
        (21, "2026-10-01T12:00:00+02:00", "u", 3e-7, 0),
    ])
    con.execute("INSERT INTO inference_calls VALUES (1, 17, '2026-10-01T10:00:01Z')")
    con.commit()
    con.close()
    snap, counts = snapshot_of(tmp_path, f"sqlite://{db}")
    assert counts == {"usage": (5, 5, 0), "inference_calls": (1, 1, 0)}
    got = rows(snap, "SELECT id, created_at::VARCHAR AS at, price, input_tokens FROM usage")
    assert got == [
        {"id": "17", "at": "2026-10-01 10:00:00+00", "price": Decimal("0.1"), "input_tokens": 5},
        {"id": "req-18", "at": "2026-09-21 14:13:20+00", "price": Decimal("0.25"), "input_tokens": 6},
        {"id": "19", "at": "2026-09-21 14:13:20.123+00", "price": Decimal("1"), "input_tokens": 7},
        {"id": "20", "at": "2026-10-01 12:00:00+00", "price": None, "input_tokens": None},
        {"id": "21", "at": "2026-10-01 10:00:00+00", "price": Decimal("3E-7"), "input_tokens": 0},
    ]
    assert rows(snap, "SELECT usage_id FROM inference_calls") == [{"usage_id": "17"}]


BAD_USAGE = [
    (usage_row(None), "missing_id", "id"),
    (usage_row("  "), "missing_id", "id"),
    (usage_row("dup"), None, None),
    (usage_row("dup", user_id="other"), "duplicate_id", "id"),
    (usage_row("nouser", user_id=None), "missing_user_id", "user_id"),
    (usage_row("badts", created_at="yesterday"), "bad_timestamp", "created_at"),
    (usage_row("nots", created_at=None), "bad_timestamp", "created_at"),
    (usage_row("inf", created_at="infinity"), "bad_timestamp", "created_at"),
    (usage_row("toolong", created_at="12345678901234567"), "bad_timestamp", "created_at"),
    (usage_row("neg", input_tokens=-1), "negative", "input_tokens"),
    (usage_row("frac", output_tokens="1.5"), "not_a_whole_number", "output_tokens"),
    (usage_row("word", cache_read_tokens="many"), "not_a_number", "cache_read_tokens"),
    (usage_row("nan", cache_write_tokens="NaN"), "not_a_number", "cache_write_tokens"),
    (usage_row("negprice", price="-0.01"), "negative", "price"),
    (usage_row("dollar", price="$1"), "not_a_number", "price"),
    (usage_row("comma", price="1,5"), "not_a_number", "price"),
    (usage_row("ok", price="1e-3", input_tokens="1e3"), None, None),
]


def test_every_bad_usage_row_is_rejected_with_its_reason(tmp_path):
    db = write_sqlite(tmp_path / "s.db", [r for r, _, _ in BAD_USAGE], [])
    snap, counts = snapshot_of(tmp_path, f"sqlite://{db}")
    expected = [(i + 1, reason, column) for i, (_, reason, column) in enumerate(BAD_USAGE) if reason]
    got = snap.execute("SELECT position, reason, column_name FROM rejected_rows WHERE table_name = 'usage' "
                       "ORDER BY position").fetchall()
    assert got == expected
    assert counts["usage"] == (len(BAD_USAGE), 2, len(BAD_USAGE) - 2)
    assert rows(snap, "SELECT id, user_id, price, input_tokens FROM usage") == [
        {"id": "dup", "user_id": "u1", "price": None, "input_tokens": None},
        {"id": "ok", "user_id": "u1", "price": Decimal("0.001"), "input_tokens": 1000},
    ]


def test_rejected_rows_keep_their_original_values(tmp_path):
    db = write_sqlite(tmp_path / "s.db", [usage_row("x", price="abc", handle="<b>", input_tokens=3)], [])
    snap, _ = snapshot_of(tmp_path, f"sqlite://{db}")
    (original,) = snap.execute("SELECT original FROM rejected_rows").fetchone()
    assert json.loads(original) == {
        "id": "x", "created_at": "2026-10-01T10:00:00Z", "user_id": "u1", "handle": "<b>", "model": None,
        "input_tokens": "3", "output_tokens": None, "cache_read_tokens": None, "cache_write_tokens": None,
        "price": "abc"}


def test_bad_inference_calls_are_rejected_and_user_id_is_optional(tmp_path):
    calls = [call_row(None, "r"), call_row("c1", "r"), call_row("c1", "r"), call_row("c2", "r", created_at="soon"),
             call_row("c3", "r", price="-1"), call_row("c4", None, user_id=None), call_row("c5", "", user_id="")]
    db = write_sqlite(tmp_path / "s.db", [], calls)
    snap, counts = snapshot_of(tmp_path, f"sqlite://{db}")
    assert counts["inference_calls"] == (7, 3, 4)
    assert [r[0] for r in snap.execute("SELECT reason FROM rejected_rows ORDER BY position").fetchall()] == [
        "missing_id", "duplicate_id", "bad_timestamp", "negative"]
    assert rows(snap, "SELECT id, usage_id, user_id FROM inference_calls WHERE id IN ('c4', 'c5') ORDER BY id") == [
        {"id": "c4", "usage_id": None, "user_id": None}, {"id": "c5", "usage_id": None, "user_id": None}]


def test_missing_optional_columns_are_null_for_every_row(tmp_path):
    db = write_sqlite(tmp_path / "s.db", [usage_row("r1")], [call_row("c1", "r1")],
                      usage_columns=("id", "created_at", "user_id"), call_columns=("id", "usage_id", "created_at"))
    snap, counts = snapshot_of(tmp_path, f"sqlite://{db}")
    assert counts == {"usage": (1, 1, 0), "inference_calls": (1, 1, 0)}
    assert rows(snap, "SELECT handle, model, price FROM usage") == [{"handle": None, "model": None, "price": None}]


def test_tables_and_columns_are_mapped_from_the_config(tmp_path):
    db = tmp_path / "s.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE requests (rid, ts, account, cost)")
    con.execute("CREATE TABLE provider_calls (cid, request, ts)")
    con.execute("INSERT INTO requests VALUES ('r1', '2026-10-01T00:00:00Z', 'acct', '0.5')")
    con.execute("INSERT INTO provider_calls VALUES ('c1', 'r1', '2026-10-01T00:00:00Z')")
    con.commit()
    con.close()
    toml = tmp_path / "reportgen.toml"
    toml.write_text("""
[tables]
usage = "requests"
inference_calls = "provider_calls"
[columns.usage]
id = "rid"
created_at = "ts"
user_id = "account"
price = "cost"
[columns.inference_calls]
id = "cid"
usage_id = "request"
created_at = "ts"
""")
    config = load_config(toml, {"source": f"sqlite://{db}"})
    take_snapshot(config, open_source(config.source), tmp_path / "m.duckdb", "sid", "now")
    snap = connect(tmp_path / "m.duckdb", read_only=True)
    assert rows(snap, "SELECT id, user_id, price FROM usage") == [
        {"id": "r1", "user_id": "acct", "price": Decimal("0.5")}]
    assert rows(snap, "SELECT id, usage_id FROM inference_calls") == [{"id": "c1", "usage_id": "r1"}]


@pytest.mark.parametrize("overrides, message", [
    ({}, "has no column 'user_id' (required as usage.user_id)"),
    ({"columns": {"usage": {"user_id": "account"}}}, "has no column 'account' (required as usage.user_id)"),
    ({"columns": {"usage": {"user_id": "id", "model": "engine"}}}, "has no column 'engine' (mapped to usage.model"),
])
def test_missing_required_or_mapped_column_is_a_clear_error(tmp_path, overrides, message):
    db = write_sqlite(tmp_path / "s.db", [], [], usage_columns=("id", "created_at"))
    with pytest.raises(SourceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        snapshot_of(tmp_path, f"sqlite://{db}", **overrides)


def test_missing_table_and_missing_file_are_source_errors(tmp_path):
    db = tmp_path / "s.db"
    sqlite3.connect(db).execute("CREATE TABLE usage (id, created_at, user_id)").connection.commit()
    with pytest.raises(SourceError, match="inference_calls"):
        snapshot_of(tmp_path, f"sqlite://{db}")
    with pytest.raises(SourceError, match="SQLite file not found"):
        snapshot_of(tmp_path, f"sqlite://{tmp_path}/nope.db")
    (tmp_path / "junk.db").write_text("not a database")
    with pytest.raises(SourceError, match="file is not a database"):
        snapshot_of(tmp_path, f"sqlite://{tmp_path}/junk.db")


USAGE_CSV = """id,created_at,user_id,price,input_tokens
17,2026-10-01T10:00:00Z,u1,0.5,10
req-18,1790000000,u2,abc,
,2026-10-01T10:00:00Z,u3,1,1
"""
CALLS_CSV = "id,usage_id,created_at,price\n1,17,2026-10-01T10:00:01Z,0.5\n"


def _write_file_source(folder, kind):
    folder.mkdir()
    usage = [usage_row(17, price=0.5, input_tokens=10), usage_row("req-18", created_at=1790000000, price="abc"),
             usage_row(None, user_id="u3")]
    calls = [call_row(1, 17, price=0.5)]
    if kind == "csv":
        (folder / "usage.csv").write_text(USAGE_CSV)
        (folder / "inference_calls.csv").write_text(CALLS_CSV)
    elif kind in ("json", "ndjson"):
        for name, data in (("usage", usage), ("inference_calls", calls)):
            text = json.dumps(data) if kind == "json" else "\n".join(json.dumps(r) for r in data)
            (folder / f"{name}.{kind}").write_text(text)
    else:
        con = duckdb.connect()
        con.execute("CREATE TABLE u (id VARCHAR, created_at VARCHAR, user_id VARCHAR, price VARCHAR, "
                    "input_tokens BIGINT)")
        con.execute("INSERT INTO u VALUES ('17', '2026-10-01T10:00:00Z', 'u1', '0.5', 10), "
                    "('req-18', '1790000000', 'u1', 'abc', NULL), (NULL, '2026-10-01T10:00:00Z', 'u3', NULL, NULL)")
        con.execute(f"COPY u TO '{folder}/usage.parquet' (FORMAT parquet)")
        con.execute(f"COPY (SELECT 1 AS id, 17 AS usage_id, TIMESTAMPTZ '2026-10-01 10:00:01+00' AS created_at, "
                    f"0.5 AS price) TO '{folder}/inference_calls.parquet' (FORMAT parquet)")


@pytest.mark.parametrize("kind", ["csv", "json", "ndjson", "parquet"])
def test_folder_of_files(tmp_path, kind):
    _write_file_source(tmp_path / "src", kind)
    snap, counts = snapshot_of(tmp_path, str(tmp_path / "src"))
    assert counts == {"usage": (3, 1, 2), "inference_calls": (1, 1, 0)}
    assert snap.execute("SELECT reason FROM rejected_rows ORDER BY position").fetchall() == [
        ("not_a_number",), ("missing_id",)]
    assert rows(snap, "SELECT id, price, input_tokens FROM usage") == [
        {"id": "17", "price": Decimal("0.5"), "input_tokens": 10}]
    assert rows(snap, "SELECT id, usage_id, created_at::VARCHAR AS at FROM inference_calls") == [
        {"id": "1", "usage_id": "17", "at": "2026-10-01 10:00:01+00"}]


def test_folder_errors(tmp_path):
    with pytest.raises(SourceError, match="source not found"):
        snapshot_of(tmp_path, str(tmp_path / "missing"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "usage.csv").write_text("id,created_at,user_id\n")
    with pytest.raises(SourceError, match="no inference_calls"):
        snapshot_of(tmp_path, str(tmp_path / "src"))
    (tmp_path / "src" / "inference_calls.csv").write_text("id,usage_id,created_at\n")
    (tmp_path / "src" / "inference_calls.json").write_text("[]")
    with pytest.raises(SourceError, match="several files"):
        snapshot_of(tmp_path, str(tmp_path / "src"))


def test_duckdb_source_with_native_types(tmp_path):
    path = tmp_path / "src.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE usage (id INTEGER, created_at TIMESTAMPTZ, user_id VARCHAR, price DECIMAL(10, 4), "
                "input_tokens BIGINT)")
    con.execute("CREATE TABLE inference_calls (id INTEGER, usage_id INTEGER, created_at TIMESTAMP, price DOUBLE)")
    con.execute("INSERT INTO usage VALUES (1, '2026-10-01 12:00:00+02', 'u', 0.25, 3)")
    con.execute("INSERT INTO inference_calls VALUES (9, 1, '2026-10-01 10:00:01', 0.25)")
    con.close()
    snap, counts = snapshot_of(tmp_path, f"duckdb://{path}")
    assert counts == {"usage": (1, 1, 0), "inference_calls": (1, 1, 0)}
    assert rows(snap, "SELECT id, created_at::VARCHAR AS at, price FROM usage") == [
        {"id": "1", "at": "2026-10-01 10:00:00+00", "price": Decimal("0.25")}]
    assert rows(snap, "SELECT usage_id, price FROM inference_calls") == [{"usage_id": "1", "price": Decimal("0.25")}]


def test_unknown_source_scheme(tmp_path):
    with pytest.raises(SourceError, match="unknown source kind 'mysql'"):
        open_source("mysql://x")


def test_snapshot_records_provenance_without_credentials(tmp_path):
    db = write_sqlite(tmp_path / "s.db", [usage_row("r1")], [])
    snap, _ = snapshot_of(tmp_path, f"sqlite://{db}")
    assert rows(snap, "SELECT snapshot_id, source_kind, source_label FROM snapshot_meta") == [
        {"snapshot_id": "sid", "source_kind": "sqlite", "source_label": "sqlite:s.db"}]
    assert {r[0] for r in snap.execute("SHOW TABLES").fetchall()} == {
        "usage", "inference_calls", "rejected_rows", "table_counts", "snapshot_meta", "price_table"}


@pytest.mark.parametrize("folder", ["a?b", "c#d", "e%20f", "g h", "zoë ∑", "p%"])
@pytest.mark.parametrize("slashes", ["sqlite://", "sqlite:///"])  # sqlite:///abs and SQLAlchemy's sqlite:////abs
def test_sqlite_paths_are_file_names_as_they_are(tmp_path, folder, slashes):
    place = tmp_path / folder
    place.mkdir()
    write_sqlite(place / "u?#.db", [usage_row("r1")], [call_row("c1", "r1")])
    before = sorted(p.name for p in tmp_path.rglob("*"))
    _, counts = snapshot_of(tmp_path, f"{slashes}{place / 'u?#.db'}")
    assert counts["usage"] == (1, 1, 0)
    created = sorted(set(p.name for p in tmp_path.rglob("*")) - set(before))
    assert created == ["snap.duckdb"]  # nothing next to the source; the copy is gone


def test_a_locked_sqlite_source_fails_after_source_timeout(tmp_path):
    source = write_sqlite(tmp_path / "u.db", [usage_row("r1")], [])
    writer = sqlite3.connect(source, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(SourceError, match="locked by another program for 1 s"):
            snapshot_of(tmp_path, f"sqlite://{source}", source_timeout=1)
        assert time.monotonic() - started < 5
    finally:
        writer.close()
    assert [p.name for p in tmp_path.iterdir() if p.name != "u.db"] in ([], ["snap.duckdb"])


def test_the_sqlite_copy_lives_in_the_staging_folder_and_goes_with_it(tmp_path):
    source = write_sqlite(tmp_path / "u.db", [usage_row("r1")], [call_row("c1", "r1")])
    out = tmp_path / "out"
    command = [sys.executable, "-m", "reportgen", "build", "--source", f"sqlite://{source}", "--out", str(out)]
    env = {**os.environ, "REPORTGEN_TEST_STOP_AT": "source-attached", "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    assert "stopped at source-attached" in process.stderr.readline()
    process.kill()
    process.wait(10)
    copies = list(out.glob("snapshots/.tmp-*/.sqlite-copy-*/copy.db"))
    assert len(copies) == 1 and list((tmp_path / "tmp").rglob("*.db")) == []
    assert subprocess.run(command, capture_output=True).returncode == 0
    assert not copies[0].exists() and not list(out.rglob(".sqlite-copy-*"))


def test_values_are_never_rounded_or_guessed(tmp_path):
    """Token and price text DuckDB's cast would round or stretch is rejected with its reason."""
    cases = [("input_tokens", "5.0000000000001", "not_a_whole_number"), ("input_tokens", "1e-20", "not_a_whole_number"),
             ("input_tokens", "1_000", "not_a_number"), ("price", "1_0.5", "not_a_number"),
             ("price", "-0.0000000000001", "negative"), ("price", "-1e-30", "negative"),
             ("price", "0.12345678901234567891", "too_precise"),
             ("price", "99000000000000000000000000", "out_of_range"), ("output_tokens", "1e16", "out_of_range")]
    usage = [usage_row(f"r{n}", **{column: value}) for n, (column, value, _) in enumerate(cases)]
    usage += [usage_row("ok", input_tokens="1e3", price="0.123456789012"),
              usage_row("big", price="99000000000000000000000000")]  # two huge ones used to overflow the sum
    db = write_sqlite(tmp_path / "s.db", usage, [])
    snap, counts = snapshot_of(tmp_path, f"sqlite://{db}")
    got = snap.execute("SELECT position, reason, column_name FROM rejected_rows ORDER BY position").fetchall()
    assert got == [(n + 1, reason, column) for n, (column, _, reason) in enumerate(cases)] + \
        [(len(cases) + 2, "out_of_range", "price")]
    assert rows(snap, "SELECT input_tokens, price FROM usage") == [{"input_tokens": 1000,
                                                                   "price": Decimal("0.123456789012")}]


def test_source_ids_cannot_take_the_synthetic_names(tmp_path):
    """'call:<id>' names the request of a call without usage_id: a source id spelled so would
    collide with it (exit 6) or merge with it (silently): it is rejected as reserved_id."""
    usage = [usage_row("call:c5", price="1"), usage_row("r1", price="1")]
    calls = [call_row("c5", None, price="1"), call_row("c9", None, price="2"), call_row("c10", "call:c9", price="3")]
    db = write_sqlite(tmp_path / "s.db", usage, calls)
    snap, counts = snapshot_of(tmp_path, f"sqlite://{db}")
    assert rows(snap, "SELECT table_name, reason, column_name, value FROM rejected_rows") == [
        {"table_name": "usage", "reason": "reserved_id", "column_name": "id", "value": "call:c5"},
        {"table_name": "inference_calls", "reason": "reserved_id", "column_name": "usage_id", "value": "call:c9"}]
    assert counts == {"usage": (2, 1, 1), "inference_calls": (3, 2, 1)}


def test_text_that_is_not_utf8_is_a_rejected_row_with_its_bytes_shown(tmp_path):
    db = tmp_path / "s.db"
    write_sqlite(db, [usage_row("r1"), usage_row("r2"), usage_row("r3")], [call_row("c1", "r1"), call_row("c2", "r1")])
    con = sqlite3.connect(db)
    con.execute("UPDATE usage SET handle = CAST(x'41FF42' AS TEXT) WHERE id = 'r2'")
    con.execute("UPDATE usage SET id = CAST(x'72C3' AS TEXT) WHERE id = 'r3'")
    con.execute("UPDATE inference_calls SET model = CAST(x'C328' AS TEXT) WHERE id = 'c2'")
    con.commit()
    con.close()
    snap, counts = snapshot_of(tmp_path, f"sqlite://{db}")
    assert counts == {"usage": (3, 1, 2), "inference_calls": (2, 1, 1)}
    assert snap.execute("SELECT table_name, position, reason, column_name, value FROM rejected_rows "
                        "ORDER BY table_name DESC, position").fetchall() == [
        ("usage", 2, "bad_encoding", "handle", "A\\xFFB"), ("usage", 3, "bad_encoding", "id", "r\\xC3"),
        ("inference_calls", 2, "bad_encoding", "model", "\\xC3(")]
    assert snap.execute("SELECT id FROM usage").fetchall() == [("r1",)]


def test_each_process_spills_into_its_own_folder(tmp_path):
    """DuckDB names its spill files alike in every process: two render workers sharing one temp
    folder read each other's blocks (seen at 1M requests as 'could not allocate block of size
    3.7 GiB'). Each connection spills beside the snapshot, in a folder of its own process."""
    db = tmp_path / "snapshot.duckdb"
    connect(db).close()
    code = ("import sys; from pathlib import Path; from reportgen.ingest.connection import connect; "
            "print(connect(Path(sys.argv[1]), read_only=True).execute("
            "\"SELECT current_setting('temp_directory')\").fetchone()[0])")
    folders = {subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True,
                              check=True).stdout.strip() for _ in range(2)}
    assert len(folders) == 2
    assert all(folder.startswith(f"{db}.tmp-") for folder in folders)


@pytest.mark.parametrize("kind", ["csv", "ndjson"])
def test_positions_and_first_occurrences_follow_the_source_order_of_a_large_file(tmp_path, kind):
    """DuckDB reads a large file on several threads; the snapshot keeps the source's order, so a
    row's position is its place in the file and the first of two rows with one id is accepted."""
    folder = tmp_path / "src"
    folder.mkdir()
    rows = [{"id": f"r{i}", "created_at": "2026-10-01T10:00:00Z", "user_id": f"u{i}"} for i in range(200_000)]
    rows[150_000] = {**rows[150_000], "id": "r7", "user_id": "later"}  # a duplicate of row 8, far below it
    rows[199_999] = {**rows[199_999], "user_id": ""}  # the last row: missing_user_id
    if kind == "csv":
        (folder / "usage.csv").write_text("id,created_at,user_id\n" + "".join(
            f"{r['id']},{r['created_at']},{r['user_id']}\n" for r in rows), encoding="utf-8")
        (folder / "inference_calls.csv").write_text("id,usage_id,created_at\n", encoding="utf-8")
    else:
        (folder / "usage.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        (folder / "inference_calls.ndjson").write_text(json.dumps(
            {"id": "c1", "usage_id": "r1", "created_at": "2026-10-01T10:00:00Z"}) + "\n", encoding="utf-8")
    snap, _ = snapshot_of(tmp_path, str(folder))
    assert snap.execute("SELECT position, reason FROM rejected_rows ORDER BY position").fetchall() == [
        (150_001, "duplicate_id"), (200_000, "missing_user_id")]
    assert snap.execute("SELECT user_id FROM usage WHERE id = 'r7'").fetchall() == [("u7",)]


def test_accepted_token_counts_keep_their_exact_value_in_every_spelling(tmp_path):
    """Plain digits are cast from their text, other accepted spellings from their parsed decimal
    (macros.sql, token_value): both give the same whole number, in both tables."""
    spellings = {" 0042 ": 42, "+7": 7, "3.000": 3, "1e3": 1000, "2.5E1": 25, "999999999999999": 999999999999999,
                 "0": 0}
    usage = [usage_row(f"r{n}", input_tokens=text, cache_write_tokens=text) for n, text in enumerate(spellings)]
    calls = [call_row(f"c{n}", f"r{n}", output_tokens=text, cache_read_tokens=text) for n, text in enumerate(spellings)]
    db = write_sqlite(tmp_path / "s.db", usage, calls)
    snap, counts = snapshot_of(tmp_path, f"sqlite://{db}")
    assert counts["usage"][2] == counts["inference_calls"][2] == 0
    expected = dict(enumerate(spellings.values()))
    usage_got = snap.execute("SELECT id, input_tokens, cache_write_tokens FROM usage").fetchall()
    assert {i: (a, b) for i, a, b in usage_got} == {f"r{n}": (value, value) for n, value in expected.items()}
    calls_got = snap.execute("SELECT id, output_tokens, cache_read_tokens FROM inference_calls").fetchall()
    assert {i: (a, b) for i, a, b in calls_got} == {f"c{n}": (value, value) for n, value in expected.items()}
    assert snap.execute("SELECT typeof(input_tokens) FROM usage LIMIT 1").fetchone() == ("BIGINT",)
