"""Source -> one new DuckDB file: typed `usage` and `inference_calls`, `rejected_rows`,
`table_counts` and `snapshot_meta`. Nothing here knows about analysis or output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from .. import __version__
from ..config import COLUMNS, REQUIRED_COLUMNS, TABLES, Config
from ..crashpoints import stop_here
from ..sql import run_stage
from .connection import connect, writing
from .sources import Source, SourceError, first_line, quote_ident


@dataclass(frozen=True)
class TableCount:
    table: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int


def take_snapshot(config: Config, source: Source, db_path: Path, snapshot_id: str,
                  generated_at: str) -> list[TableCount]:
    """Copy both tables from `source` into `db_path` (which must not exist yet), parse and check
    every row, and record provenance. Raises SourceError when the source cannot be read."""
    with writing(db_path):
        return _take_snapshot(config, source, db_path, snapshot_id, generated_at)


def _take_snapshot(config: Config, source: Source, db_path: Path, snapshot_id: str,
                   generated_at: str) -> list[TableCount]:
    con = connect(db_path)
    try:
        source.attach(con, db_path.parent)
        stop_here("source-attached")
        # one transaction for both reads: sources that support it see one moment in time
        con.execute("BEGIN TRANSACTION")
        for table in TABLES:
            _copy_raw(con, config, source, table)
        con.execute("COMMIT")
        con.execute("DETACH DATABASE IF EXISTS src")
        run_stage(con, "snapshot")
        for table in TABLES:
            con.execute(f"DROP TABLE raw_{table}; DROP TABLE checked_{table}")
        _write_meta(con, config, source, snapshot_id, generated_at)
        counts = con.execute(
            "SELECT table_name, rows_read, rows_accepted, rows_rejected FROM table_counts ORDER BY table_name DESC"
        ).fetchall()
        con.execute("CHECKPOINT")
        return [TableCount(*row) for row in counts]
    finally:
        con.close()
        source.close()


def _copy_raw(con: duckdb.DuckDBPyConnection, config: Config, source: Source, table: str) -> None:
    """raw_<table>: the mapped columns of the source table, every value as text, in source order.
    A column absent from the source is NULL for every row, unless it is required or mapped."""
    name = config.tables[table]
    present = {column.lower(): column for column in source.columns(con, name)}
    selects = []
    for column in COLUMNS[table]:
        mapped = config.source_column(table, column)
        actual = present.get(mapped.lower())
        if actual is not None:
            selects.append(f"CAST({quote_ident(actual)} AS VARCHAR) AS {column}")
        elif column in REQUIRED_COLUMNS[table]:
            raise SourceError(f"table {name!r} in {source.label} has no column {mapped!r} "
                              f"(required as {table}.{column})")
        elif mapped != column:
            raise SourceError(f"table {name!r} in {source.label} has no column {mapped!r} "
                              f"(mapped to {table}.{column} in the config)")
        else:
            selects.append(f"CAST(NULL AS VARCHAR) AS {column}")
    try:
        con.execute(f"CREATE TABLE raw_{table} AS SELECT {', '.join(selects)} FROM {source.relation(name)}")
    except duckdb.Error as e:
        raise SourceError(f"cannot read table {name!r} from {source.label}: {source.scrub(first_line(e))}") from None


def _write_meta(con, config: Config, source: Source, snapshot_id: str, generated_at: str) -> None:
    con.execute(
        """CREATE TABLE snapshot_meta AS SELECT
             ?::VARCHAR AS snapshot_id, ?::VARCHAR AS generated_at, ?::VARCHAR AS source_kind,
             ?::VARCHAR AS source_label, ?::VARCHAR AS tool_version, ?::VARCHAR AS timezone,
             ?::DECIMAL(38, 12) AS price_tolerance, ?::VARCHAR AS title""",
        [snapshot_id, generated_at, source.kind, source.label, __version__, config.timezone,
         str(config.price_tolerance), config.title],
    )
