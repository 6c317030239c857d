"""Stage 2b, changes: compares a snapshot's requests with those of the snapshot published before
it (PRODUCT.md §4, "Changes since the previous snapshot"), from each snapshot's request_keys
table. Run by the build on its own snapshot (writing the changes_* tables and api_changes
into it), and by `reportgen diff` on any two published snapshots (in memory, writing nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from ..ingest.connection import SNAPSHOT_DB, connect, writing
from . import run_stage

KEYS = "request_keys"
FILES = "request_files"


class NotComparable(Exception):
    """The previous snapshot cannot be compared with: pruned, unreadable, or built by a version
    of reportgen from before request_keys. The message says which, in words."""


@dataclass(frozen=True)
class Previous:
    snapshot_id: str | None  # the snapshot `latest` pointed to before this build, if any
    folder: Path | None


@dataclass(frozen=True)
class Comparison:
    note: str | None  # why there is no comparison (first build, pruned, older version), or None
    shared: int  # requests whose own files the previous snapshot has as they would be rendered now


def compare_in_build(db_path: Path, current_id: str, previous: Previous, render_key: str = "") -> Comparison:
    """Write the comparison of the snapshot at db_path with `previous` into db_path (the changes_*
    tables, api_changes, whose `note` the page shows), and request_files: which requests' files
    can be linked from the previous snapshot (`render_key` names what else the files depend on)."""
    with writing(db_path):
        con = connect(db_path)
        try:
            note = _attach_previous(con, previous)
            con.execute(f"CREATE OR REPLACE TEMP VIEW cur_keys AS SELECT * FROM main.{KEYS}")
            _run(con, current_id, None if note else previous.snapshot_id, note)
            has_files = not note and con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'prev' AND table_name = ?",
                [FILES]).fetchone()[0]
            con.execute("CREATE OR REPLACE TEMP VIEW prev_files AS " + (
                f"SELECT n, id, file_key, since FROM prev.{FILES}" if has_files else
                "SELECT NULL::BIGINT AS n, NULL::VARCHAR AS id, NULL::VARCHAR AS file_key, NULL::VARCHAR AS since "
                "WHERE false"))
            con.execute("SET VARIABLE render_key = ?", [render_key])
            con.execute((resources.files(__package__) / "changes" / "request_files.sql").read_text(encoding="utf-8"))
            shared = con.execute("SELECT count(*) FROM request_files WHERE since <> ?", [current_id]).fetchone()[0]
            con.execute("CHECKPOINT")
            return Comparison(note, shared)
        finally:
            con.close()


def _attach_previous(con: duckdb.DuckDBPyConnection, previous: Previous) -> str | None:
    if previous.snapshot_id is None:
        note = "This is the first snapshot of this report: there is nothing to compare with."
    else:
        try:
            _attach(con, "prev", previous.folder, previous.snapshot_id)
            con.execute(f"CREATE OR REPLACE TEMP VIEW prev_keys AS SELECT * FROM prev.{KEYS}")
            return None
        except NotComparable as e:
            note = f"No comparison: {e}."
    con.execute(f"CREATE OR REPLACE TEMP VIEW prev_keys AS SELECT * FROM main.{KEYS} WHERE false")
    return note


def _attach(con: duckdb.DuckDBPyConnection, alias: str, folder: Path | None, snapshot_id: str) -> None:
    db = (folder / SNAPSHOT_DB) if folder else None
    if db is None or not db.is_file():
        raise NotComparable(f"snapshot {snapshot_id} has been pruned or has no {SNAPSHOT_DB}")
    try:
        con.execute(f"ATTACH '{_quote(db)}' AS {alias} (READ_ONLY)")
    except duckdb.Error as e:
        raise NotComparable(f"cannot read snapshot {snapshot_id}: {str(e).splitlines()[0]}") from None
    found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
                        [alias, KEYS]).fetchone()[0]
    if not found:
        raise NotComparable(f"snapshot {snapshot_id} was built by an older version of reportgen")


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def _run(con: duckdb.DuckDBPyConnection, current_id: str, previous_id: str | None, note: str | None) -> None:
    con.execute("SET VARIABLE current_id = ?", [current_id])
    con.execute("SET VARIABLE previous_id = ?", [previous_id])
    con.execute("SET VARIABLE has_previous = ?", [previous_id is not None])
    con.execute("SET VARIABLE note = ?", [note])
    run_stage(con, "changes")


def diff(older: Path, newer: Path) -> str:
    """api/changes.json's text for two published snapshot folders (`older` -> `newer`), computed
    in memory from their snapshot.duckdb files. Raises NotComparable."""
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                              "autoload_known_extensions": False})
    try:
        con.execute("SET enable_progress_bar = false")
        _attach(con, "prev", older, older.name)
        _attach(con, "cur", newer, newer.name)
        con.execute(f"CREATE TEMP VIEW prev_keys AS SELECT * FROM prev.{KEYS}")
        con.execute(f"CREATE TEMP VIEW cur_keys AS SELECT * FROM cur.{KEYS}")
        _run(con, newer.name, older.name, None)
        return con.execute("SELECT doc FROM api_changes").fetchone()[0]
    finally:
        con.close()
