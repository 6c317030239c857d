"""The manifest lines of files hard-linked from the previous snapshot: copied from its
manifest.sha256 (same content, same hash) by DuckDB, which joins the two lists without holding
either in Python, instead of reading every linked file back to hash it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import urls
from .writer import OutputError


def copy_lines(previous_root: Path, root: Path, linked_list: Path, expected: int) -> None:
    """Append to root's manifest the previous snapshot's line of each path in `linked_list`
    (`expected` of them); OutputError when the previous manifest lacks some."""
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                              "autoload_known_extensions": False})
    as_lines = "columns = {{'{0}': 'VARCHAR'}}, delim = $sep, quote = '', escape = '', header = false"
    try:
        con.execute("SET enable_progress_bar = false")
        lines = con.execute(
            f"SELECT m.line FROM read_csv($manifest, {as_lines.format('line')}) m "
            f"SEMI JOIN read_csv($linked, {as_lines.format('path')}) l ON l.path = substr(m.line, 67)",
            {"manifest": str(previous_root / urls.MANIFEST), "linked": str(linked_list), "sep": "\x1f"})
        copied = 0
        with open(root / urls.MANIFEST, "a", encoding="utf-8") as manifest:
            while batch := lines.fetchmany(10000):
                manifest.write("".join(f"{line}\n" for (line,) in batch))
                copied += len(batch)
    except OSError as e:
        raise OutputError(f"cannot write {root / urls.MANIFEST}: {e.strerror}") from None
    finally:
        con.close()
    if copied != expected:
        raise OutputError(f"{previous_root / urls.MANIFEST} lists {copied} of the {expected} files linked from it")
