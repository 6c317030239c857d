"""Building real sources for tests: SQLite files from rows, and reading a built site's API."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

USAGE_COLUMNS = ("id", "created_at", "user_id", "handle", "model", "input_tokens", "output_tokens",
                 "cache_read_tokens", "cache_write_tokens", "price")
CALL_COLUMNS = ("id", "usage_id", "created_at", "user_id", "model", "input_tokens", "output_tokens",
                "cache_read_tokens", "cache_write_tokens", "price")


def write_sqlite(path: Path, usage: list[dict], calls: list[dict],
                 usage_columns=USAGE_COLUMNS, call_columns=CALL_COLUMNS) -> Path:
    """A SQLite file with untyped columns (as the original product had), rows as given."""
    con = sqlite3.connect(path)
    for table, columns, rows in (("usage", usage_columns, usage), ("inference_calls", call_columns, calls)):
        con.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
        con.executemany(
            f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})",
            [tuple(_sqlite_value(row.get(c)) for c in columns) for row in rows],
        )
    con.commit()
    con.close()
    return path


def _sqlite_value(value):
    return str(value) if isinstance(value, Decimal) else value


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def read_list(site: Path, name: str) -> list[dict]:
    """Every item of a paginated API list, following page-1..page-N."""
    first = load_json(site / "api" / name / "page-1.json")
    items = list(first["items"])
    for number in range(2, first["pages"] + 1):
        items += load_json(site / "api" / name / f"page-{number}.json")["items"]
    assert len(items) == first["total"]
    return items


def usage_row(id, created_at="2026-10-01T10:00:00Z", user_id="u1", **figures) -> dict:
    return {"id": id, "created_at": created_at, "user_id": user_id, **figures}


def call_row(id, usage_id, created_at="2026-10-01T10:00:01Z", **figures) -> dict:
    return {"id": id, "usage_id": usage_id, "created_at": created_at, **figures}


def analysed_snapshot(tmp_path: Path, usage: list[dict], calls: list[dict], **config_overrides):
    """Snapshot + analysis of a SQLite source made of these rows; returns a read-only connection."""
    from reportgen.config import load_config
    from reportgen.ingest.connection import connect
    from reportgen.ingest.snapshot import take_snapshot
    from reportgen.ingest.sources import open_source
    from reportgen.sql.analyse import analyse

    source = write_sqlite(tmp_path / "source.db", usage, calls)
    config = load_config(None, {"source": f"sqlite://{source}", **config_overrides})
    db = tmp_path / "snapshot.duckdb"
    take_snapshot(config, open_source(config.source), db, "test-snapshot", "2026-11-01T00:00:00+00:00")
    analyse(config, db)
    return connect(db, read_only=True)


def rows(con, sql: str, params=()) -> list[dict]:
    """Query -> list of dicts; timestamps should be cast to text in `sql`."""
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
