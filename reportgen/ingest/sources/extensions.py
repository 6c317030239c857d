"""Load DuckDB extensions from the `duckdb-extension-*` wheels, never from the network.

The wheels ship `<name>.duckdb_extension`, but DuckDB derives the init symbol from the file
name, so the file must be named after the entry point (`sqlite_scanner.duckdb_extension`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import duckdb

# wheel package suffix -> entry point the file must be named after
ENTRY_POINTS = {"sqlite": "sqlite_scanner", "postgres": "postgres_scanner"}


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    path = _extension_file(name)
    if path is None:
        # No wheel: fall back to DuckDB's own install, which works where there is network.
        con.execute(f"INSTALL {name}")
        con.execute(f"LOAD {name}")
        return
    con.execute(f"LOAD '{path}'")


def _extension_file(name: str) -> Path | None:
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or spec.origin is None:
        return None
    shipped = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not shipped.is_file():
        return None
    cache = Path(tempfile.gettempdir()) / f"reportgen-{os.getuid()}" / f"v{duckdb.__version__}"
    target = cache / f"{ENTRY_POINTS[name]}.duckdb_extension"
    if not target.is_file() or target.stat().st_size != shipped.stat().st_size:
        cache.mkdir(parents=True, exist_ok=True)
        # copy then rename, so a concurrent build never loads a half-copied file
        fd, partial = tempfile.mkstemp(dir=cache)
        os.close(fd)
        shutil.copyfile(shipped, partial)
        os.replace(partial, target)
    return target
