"""Source -> one new DuckDB file: typed `usage` and `inference_calls`, `rejected_rows`,
`table_counts`, `price_table` and `snapshot_meta`. Nothing here knows about analysis or output."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .. import __version__
from ..config import COLUMNS, REQUIRED_COLUMNS, TABLES, Config
from ..crashpoints import stop_here
from ..sql import run_stage
from . import prices
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
        _copy_tables(con, config, source)
        con.execute("DETACH DATABASE IF EXISTS src")
        run_stage(con, "snapshot")
        for table in TABLES:
            con.execute(f"DROP TABLE raw_{table}; DROP TABLE checked_{table}")
        price_table = prices.load_price_table(con, config)
        _write_meta(con, config, source, snapshot_id, generated_at, price_table)
        counts = con.execute(
            "SELECT table_name, rows_read, rows_accepted, rows_rejected FROM table_counts ORDER BY table_name DESC"
        ).fetchall()
        con.execute("CHECKPOINT")
        return [TableCount(*row) for row in counts]
    finally:
        con.close()
        source.close()


class _InvalidText(Exception):
    """The source holds text that is not valid UTF-8."""


def _copy_tables(con: duckdb.DuckDBPyConnection, config: Config, source: Source) -> None:
    """raw_usage and raw_inference_calls, read in one transaction (sources that support it see
    one moment in time). When a value is not valid UTF-8 the tables are read again as the hex of
    their bytes, so that each such row is rejected as bad_encoding rather than failing the build."""
    # a row's position (and so which of two rows with one id comes first) is its place in the
    # source: this copy keeps the source's order, which the connection's default gives up for memory
    con.execute("SET preserve_insertion_order = true")
    _copy_tables_in_order(con, config, source)  # on an error the connection is closed, not reused
    con.execute("SET preserve_insertion_order = false")


def _copy_tables_in_order(con: duckdb.DuckDBPyConnection, config: Config, source: Source) -> None:
    for as_hex in (False, True):
        con.execute("BEGIN TRANSACTION")
        try:
            for table in TABLES:
                _copy_raw(con, config, source, table, as_hex)
            con.execute("COMMIT")
            return
        except _InvalidText:
            con.execute("ROLLBACK")
            if as_hex or source.hex_relation(config.tables[TABLES[0]]) is None:
                raise SourceError(f"{source.label} holds text that is not valid UTF-8, and this kind of source "
                                  "cannot be read byte by byte: fix the encoding at the source") from None


def _copy_raw(con: duckdb.DuckDBPyConnection, config: Config, source: Source, table: str, as_hex: bool) -> None:
    """raw_<table>: the mapped columns of the source table, every value as text, in source order,
    and `bad_encoding`/`bad_encoding_value`: the first column holding bytes that are not UTF-8
    and its bytes shown escaped (only when read `as_hex`). A column absent from the source is
    NULL for every row, unless it is required or mapped."""
    name = config.tables[table]
    present = {column.lower(): column for column in source.columns(con, name)}
    selects, invalid = [], []
    for column in COLUMNS[table]:
        mapped = config.source_column(table, column)
        actual = present.get(mapped.lower())
        if actual is None:
            if column in REQUIRED_COLUMNS[table]:
                raise SourceError(f"table {name!r} in {source.label} has no column {mapped!r} "
                                  f"(required as {table}.{column})")
            if mapped != column:
                raise SourceError(f"table {name!r} in {source.label} has no column {mapped!r} "
                                  f"(mapped to {table}.{column} in the config)")
            selects.append(f"CAST(NULL AS VARCHAR) AS {column}")
        elif as_hex:
            raw = f"unhex({quote_ident(actual)})"
            invalid.append((column, f"{raw} IS NOT NULL AND try(decode({raw})) IS NULL", f"CAST({raw} AS VARCHAR)"))
            selects.append(f"CASE WHEN {invalid[-1][1]} THEN {invalid[-1][2]} ELSE decode({raw}) END AS {column}")
        else:
            selects.append(f"CAST({quote_ident(actual)} AS VARCHAR) AS {column}")
    which = " ".join(f"WHEN {test} THEN '{column}'" for column, test, _ in invalid)
    shown = " ".join(f"WHEN {test} THEN {value}" for _, test, value in invalid)
    none = "CAST(NULL AS VARCHAR)"
    selects.append(f"CASE {which} END AS bad_encoding" if invalid else f"{none} AS bad_encoding")
    selects.append(f"CASE {shown} END AS bad_encoding_value" if invalid else f"{none} AS bad_encoding_value")
    relation = source.hex_relation(name) if as_hex else source.relation(name)
    try:
        # TEMP, as are checked_*: dropped before the snapshot is saved, so not worth compressing
        # into the file. Held within memory_limit like DuckDB's other buffers: the 1M-request
        # snapshot peaks at 1.4 GB, as it did with these tables in the file
        con.execute(f"CREATE TEMP TABLE raw_{table} AS SELECT {', '.join(selects)} FROM {relation}")
    except duckdb.Error as e:
        if not as_hex and re.search(r"unicode|utf-?8", str(e), re.IGNORECASE):
            raise _InvalidText from None
        raise SourceError(f"cannot read table {name!r} from {source.label}: {source.scrub(first_line(e))}") from None


def _write_meta(con, config: Config, source: Source, snapshot_id: str, generated_at: str, price_table: str) -> None:
    con.execute(
        """CREATE TABLE snapshot_meta AS SELECT
             ?::VARCHAR AS snapshot_id, ?::VARCHAR AS generated_at, ?::VARCHAR AS source_kind,
             ?::VARCHAR AS source_label, ?::VARCHAR AS tool_version, ?::VARCHAR AS timezone,
             ?::DECIMAL(38, 12) AS price_tolerance, ?::VARCHAR AS title, ?::VARCHAR AS price_table,
             ?::VARCHAR AS token_convention""",
        [snapshot_id, generated_at, source.kind, source.label, __version__, config.timezone,
         str(config.price_tolerance), config.title, price_table, config.token_convention],
    )
