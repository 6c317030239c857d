"""PostgreSQL sources on a real server (Debian's postgresql, started in a temporary data
directory on a loopback port): identical reports to SQLite, a consistent read while a writer
keeps inserting, schema-qualified tables, PGPASSWORD, and errors that never show the password."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import postgres_server
import pytest
from click.testing import CliRunner

from reportgen import cli, demo
from reportgen.ingest.sources.extensions import load_extension

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg():
    if postgres_server.binaries() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    server = postgres_server.start()
    yield server
    postgres_server.stop(server)


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pgdemo") / "demo.db"
    demo.generate(path, rows=400, seed=21)
    return path


def copy_into_postgres(sqlite_path: Path, url: str, schema: str = "public") -> None:
    """The demo's tables into PostgreSQL as text columns, values exactly as SQLite holds them."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    load_extension(con, "sqlite")
    load_extension(con, "postgres")
    con.execute("SET sqlite_all_varchar = true")
    con.execute(f"ATTACH '{sqlite_path}' AS s (TYPE sqlite, READ_ONLY)")
    con.execute(f"ATTACH '{url}' AS p (TYPE postgres)")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS p.{schema}")
    for table in ("usage", "inference_calls"):
        con.execute(f"DROP TABLE IF EXISTS p.{schema}.{table}")
        con.execute(f"CREATE TABLE p.{schema}.{table} AS SELECT * FROM s.{table}")
    con.close()


def build(source: str, out: Path, *extra: str):
    return CliRunner().invoke(cli.main, ["build", "--source", source, "--out", str(out), "--page-size", "50", *extra])


def api_files(site: Path) -> dict[str, str]:
    """The API files, but for those naming the snapshot (meta.json, changes.json's `current`)."""
    return {p.relative_to(site).as_posix(): p.read_text() for p in sorted((site / "api").rglob("*.json"))
            if p.name not in ("meta.json", "changes.json")}


def test_postgres_and_sqlite_give_identical_json_apis(pg, demo_sqlite, tmp_path):
    copy_into_postgres(demo_sqlite, pg.url())
    assert build(pg.url(), tmp_path / "pg").exit_code == 0
    assert build(f"sqlite://{demo_sqlite}", tmp_path / "lite").exit_code == 0
    from_pg, from_sqlite = api_files(tmp_path / "pg" / "latest"), api_files(tmp_path / "lite" / "latest")
    assert len(from_pg) > 100 and from_pg == from_sqlite
    meta_pg = json.loads((tmp_path / "pg" / "latest" / "api" / "meta.json").read_text())
    meta_lite = json.loads((tmp_path / "lite" / "latest" / "api" / "meta.json").read_text())
    assert meta_pg["tables"] == meta_lite["tables"] and meta_pg["source_kind"] == "postgresql"
    everything = "".join(p.read_text(errors="replace") for p in (tmp_path / "pg" / "latest").rglob("*.html"))
    assert postgres_server.PASSWORD not in everything and postgres_server.PASSWORD not in json.dumps(meta_pg)
    assert meta_pg["source_label"] == f"postgresql://127.0.0.1:{pg.port}/reports"


def test_schema_qualified_tables_and_pgpassword(pg, demo_sqlite, tmp_path, monkeypatch):
    copy_into_postgres(demo_sqlite, pg.url(), schema="analytics")
    monkeypatch.setenv("PGPASSWORD", postgres_server.PASSWORD)
    result = build(pg.url(password=None), tmp_path / "o", "--table", "usage=analytics.usage",
                   "--table", "inference_calls=analytics.inference_calls")
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("case", ["wrong password", "unknown database", "missing table"])
def test_errors_are_one_line_without_the_password(pg, demo_sqlite, tmp_path, case):
    copy_into_postgres(demo_sqlite, pg.url())
    url = {"wrong password": pg.url(password="Wr0ng-pass-123"), "unknown database": pg.url(database="nope"),
           "missing table": pg.url()}[case]
    extra = ["--table", "usage=no_such_table"] if case == "missing table" else []
    result = build(url, tmp_path / "o", *extra)
    assert result.exit_code == cli.EXIT_SOURCE, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    for secret in (postgres_server.PASSWORD, "Wr0ng-pass-123"):
        assert secret not in result.stderr
    expected = {"wrong password": "password authentication failed", "unknown database": 'database "nope"',
                "missing table": "no_such_table"}[case]
    assert expected in result.stderr


def writer(pg, stop: threading.Event, written: list[int]) -> None:
    """Keeps inserting requests, each with its two calls, one transaction at a time."""
    psql = subprocess.Popen([str(pg.bin / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "reports",
                             "-d", "reports"], stdin=subprocess.PIPE, text=True,
                            env={"PGPASSWORD": postgres_server.PASSWORD, "PATH": "/usr/bin:/bin"})
    n = 0
    while not stop.is_set():
        n += 1
        psql.stdin.write(
            "BEGIN;"
            f"INSERT INTO usage (id, created_at, user_id, price) "
            f"VALUES ('w-{n}', '2026-10-15T00:00:00Z', 'writer', '2');"
            f"INSERT INTO inference_calls (id, usage_id, created_at, price) VALUES "
            f"('wc-{n}-a', 'w-{n}', '2026-10-15T00:00:01Z', '1'), ('wc-{n}-b', 'w-{n}', '2026-10-15T00:00:02Z', '1');"
            "COMMIT;\n")
        psql.stdin.flush()
        written.append(n)
        time.sleep(0.002)
    psql.stdin.close()
    psql.wait(10)


def test_a_concurrent_writer_never_makes_orphans_or_no_calls(pg, demo_sqlite, tmp_path):
    copy_into_postgres(demo_sqlite, pg.url())
    stop, written = threading.Event(), []
    thread = threading.Thread(target=writer, args=(pg, stop, written))
    thread.start()
    time.sleep(0.5)
    try:
        for _ in range(3):
            result = build(pg.url(), tmp_path / "o")
            assert result.exit_code == 0, result.stderr
    finally:
        stop.set()
        thread.join()
    con = duckdb.connect(str(tmp_path / "o" / "latest" / "snapshot.duckdb"), read_only=True)
    seen = con.execute("SELECT count(*) FROM requests WHERE user_id = 'writer'").fetchone()[0]
    flagged = con.execute("SELECT count(*) FROM requests WHERE starts_with(id, 'w') AND len(discrepancies) > 0 "
                          "AND (starts_with(id, 'w-') OR starts_with(id, 'call:wc'))").fetchone()[0]
    assert seen > 0 and flagged == 0
    assert len(written) > seen  # the writer went on during the builds
