"""The rendered parts of a request that every page showing it repeats word for word: its
usage-vs-inference comparison and its calls table. Neither holds a link, so each is rendered
once per build, by the task that writes the request's own pages, and pasted into the requests
list, the request's two pages and its user's pages.

User pages are written by other tasks, in other processes, in another order, so the fragments
are kept for them in a SQLite file in the staging folder while the render runs, beside the
request's row of the requests list (its JSON text), which a user page lists too: a user's
requests lie all over the snapshot's tables, and reading them back from there by key would
read every row group at 1M requests. SQLite rather than DuckDB: this is a key-value store of
a few kilobytes a row, written 1,000 rows at a time and read back by key, which SQLite does in
microseconds a row and DuckDB's row-at-a-time inserts do not. The file is removed when the
render ends; nothing is computed from it.

A request unchanged since the previous snapshot has its page hard-linked from there, made by
the same templates from the same data (its key says so): its fragments are read back from that
page, between the markers request.html puts around them, instead of being rendered again. Data
is escaped, so no text from it can look like a marker."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from markupsafe import Markup

STORE = ".fragments.sqlite"  # in the staging folder, while the render runs
# around each fragment in request.html
COMPARISON_MARKERS = ("<!-- comparison -->", "<!-- /comparison -->")
CALLS_MARKERS = ("<!-- calls -->", "<!-- /calls -->")


def from_request_page(page: str) -> tuple[Markup, Markup] | None:
    """(comparison, calls table) as a request's page shows them, or None when the page does not
    hold both between their markers."""
    found = []
    for start, end in (COMPARISON_MARKERS, CALLS_MARKERS):
        a = page.find(start)
        b = page.find(end, a + len(start)) if a >= 0 else -1
        if b < 0:
            return None
        found.append(Markup(page[a + len(start):b]))
    return found[0], found[1]


class FragmentStore:
    """request n -> (its requests-list row as JSON text, comparison HTML, calls table HTML); one
    connection per process."""

    def __init__(self, root: Path):
        self.path = root / STORE
        # autocommit off: each put() is one transaction; two processes write, each waits its turn
        self.con = sqlite3.connect(self.path, timeout=600, isolation_level="DEFERRED")
        self.con.execute("PRAGMA synchronous = OFF")  # a killed build throws the file away anyway

    @staticmethod
    def create(root: Path) -> None:
        """The empty store, made once before the workers start: two processes switching one new
        file to WAL at the same moment fail with "database is locked", busy timeout or not."""
        con = sqlite3.connect(root / STORE)
        try:
            con.execute("PRAGMA journal_mode = WAL")  # kept in the file: every later connection uses it
            con.execute("CREATE TABLE fragments (n INTEGER PRIMARY KEY, item TEXT NOT NULL, "
                        "comparison TEXT NOT NULL, calls TEXT NOT NULL)")
            con.commit()
        finally:
            con.close()

    def put(self, rows: Iterable[tuple[int, str, str, str]]) -> None:
        """(n, item, comparison, calls) of some requests."""
        with self.con:
            self.con.executemany("INSERT INTO fragments VALUES (?, ?, ?, ?)", rows)

    def get(self, ns: list[int]) -> dict[int, tuple[str, Markup, Markup]]:
        """n -> (item, comparison, calls) of the requests in `ns` (all of them must have been put)."""
        found = {}
        for i in range(0, len(ns), 10_000):  # SQLite's limit on an IN list's length is far above
            chunk = ",".join(str(int(n)) for n in ns[i:i + 10_000])
            for n, item, comparison, calls in self.con.execute(
                    f"SELECT n, item, comparison, calls FROM fragments WHERE n IN ({chunk})"):
                found[n] = (item, Markup(comparison), Markup(calls))
        return found

    def close(self) -> None:
        self.con.close()


def remove(root: Path) -> None:
    """The store and SQLite's side files, once the render is over (or failed)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        (root / (STORE + suffix)).unlink(missing_ok=True)
