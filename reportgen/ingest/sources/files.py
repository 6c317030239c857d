"""A folder holding `usage.*` and `inference_calls.*` as CSV, Parquet, JSON or NDJSON."""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import Source, SourceError, first_line, quote_literal

READERS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".json": "json",
    ".ndjson": "json",
    ".jsonl": "json",
}


class FileSource(Source):
    kind = "files"

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self._relations: dict[str, str] = {}

    @property
    def label(self) -> str:
        return f"files:{self.folder.name or self.folder}"

    def attach(self, con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
        if not self.folder.exists():
            raise SourceError(f"source not found: {self.folder} (expected a folder or a sqlite://, "
                              "duckdb:// or postgresql:// URL)")
        if not self.folder.is_dir():
            raise SourceError(f"source is not a folder: {self.folder}")
        self._con = con

    def file_for(self, table: str) -> Path:
        matches = sorted(p for p in self.folder.iterdir() if p.stem == table and p.suffix.lower() in READERS)
        if not matches:
            raise SourceError(f"no {table}.csv/.parquet/.json/.ndjson file in {self.folder}")
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches)
            raise SourceError(f"several files for table {table!r} in {self.folder}: {names}")
        return matches[0]

    def relation(self, table: str) -> str:
        if table not in self._relations:
            self._relations[table] = self._reader(table)
        return self._relations[table]

    def _reader(self, table: str) -> str:
        path = self.file_for(table)
        literal = quote_literal(str(path))
        reader = READERS[path.suffix.lower()]
        if reader == "csv":
            # every value as text: the snapshot parses and rejects, the reader must not guess
            delimiter = "\\t" if path.suffix.lower() == ".tsv" else ","
            return (f"read_csv({literal}, all_varchar = true, header = true, delim = E'{delimiter}', "
                    "quote = '\"', escape = '\"')")
        if reader == "parquet":
            return f"read_parquet({literal})"
        # JSON: find the keys first, then read every one of them as text, so that a column
        # mixing 17 and "req-18" keeps both as written.
        try:
            names = [r[0] for r in self._con.execute(f"DESCRIBE SELECT * FROM read_json({literal})").fetchall()]
        except duckdb.Error as e:
            raise SourceError(f"cannot read {path}: {first_line(e)}") from None
        columns = ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in names)
        return f"read_json({literal}, columns = {{{columns}}})"
