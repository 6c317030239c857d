"""The rendered parts of a request that every page showing it repeats word for word: its
usage-vs-inference comparison and its calls table, and its row of the requests list and of its
user's pages. The comparison and the calls table hold no link, so each is rendered once per
build, by the task that writes the request's own pages, and pasted into the request's two pages
and its row. The row is rendered once too, with ROOT before each of its links where the page's
way to the site's root goes ("../" on requests/page-2.html, "../../" on users/<id>/page-1.html),
and PRICE where its price goes, with as many decimals as the page's price column needs
(page_rows). So is each of its calls' rows (call_rows): without its request cell (CELL ... END)
in the request's own calls table, whole in the calls list, with its two amounts pasted with the
decimals of the table they are in.

User pages and calls list pages are written by other tasks, in other processes, in another
order, so the rows are kept for them in a SQLite file in the staging folder while the render
runs: a user's requests lie all over the snapshot's tables, and reading them back from there by
key would read every row group at 1M requests. SQLite rather than DuckDB: this is a key-value
store of a few kilobytes a row, written 1,000 rows at a time and read back by key, which SQLite
does in microseconds a row and DuckDB's row-at-a-time inserts do not.

Each row is stored with its request's file key (sql/changes/request_files.sql: its data, the
templates, the tool's version and the settings its files depend on) and the n of its calls' rows
(whose own key it is: each call n belongs to one request of the build). When the render is
over the store becomes the render cache of the output folder (keep_as_cache), replacing the
previous build's. The next build, for a request whose own files it links from the previous
snapshot, copies its rows from there (copy_cached) instead of rendering them again: found by the
request's n in that snapshot (request_files.prev_n), and taken only when they carry the file key
the request has now. Made by the same templates from the same data, they are the same rows; a
cache from another build than the previous snapshot's (one that failed after its render, or
kept across a rollback) can only miss. A request the cache lacks is rendered; nothing is
computed from the cache, and without one a build renders every row, as a first build does.

Two processes write the store, one transaction at a time. They take turns on a lock file
(WRITE_LOCK, flock) rather than on SQLite's own lock: a process SQLite finds locked sleeps 1, 2,
5, 10 ... 100 ms between tries, so it slept on long after a cache copy (30 ms) was over, and the
other process, back for its next write, often had the lock again. A process waiting on flock
wakes when the lock is let go: in a 100k build after 1 % new rows, the two processes' writes
took 2.9 s instead of 3.2-3.6 s, their requests tasks 11.3 s instead of 11.8-12.2 s."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from markupsafe import Markup

from . import urls
from .templating import ascii_html, format_usd, usd_places
from .writer import OutputError

log = logging.getLogger("reportgen")

STORE = ".fragments.sqlite"  # in the staging folder, while the render runs
WRITE_LOCK = ".fragments.lock"  # beside it: held (flock) by the process writing the store
# in a rendered row, where the page's way to the site's root goes and where its price does: no
# page holds these control characters, or those below (the control characters of data are shown
# as escapes, see templating.visible_controls)
ROOT = "\x00"
PRICE = "\x01"
# in a rendered call row: around its request cell (kept by the calls list, cut from its request's
# own table), and where its expected price goes
CELL, END = "\x02", "\x03"
EXPECTED = "\x04"


class Row(NamedTuple):
    """A request's row as rendered once, with ROOT before its links and PRICE for its price."""
    html: str
    price: Decimal | None


def page_rows(rows: list[Row], path: str) -> list[Markup]:
    """The rows of the page at `path`: their links from there, their prices with the same
    decimals down the column."""
    places = usd_places(row.price for row in rows)
    root = urls.to_root(path)
    return [Markup(row.html.replace(ROOT, root).replace(PRICE, _usd(row.price, places))) for row in rows]


class CallRow(NamedTuple):
    """An inference call's row as rendered once, with the markers for its request cell, its
    links' way to the root and its two amounts."""
    html: str
    price: Decimal | None
    expected_price: Decimal | None


def call_rows(rows: list[CallRow], path: str | None) -> list[Markup]:
    """The rows of a calls table: of the calls list page at `path`, with their request cells
    linked from there; or (path None) of a request's own table, without them. Each amount
    column has the same decimals down the table."""
    places = usd_places(row.price for row in rows)
    expected_places = usd_places(row.expected_price for row in rows)
    root = None if path is None else urls.to_root(path)
    pasted = []
    for html, price, expected_price in rows:
        if root is None:
            html = html[:html.index(CELL)] + html[html.index(END) + 1:]
        else:
            html = html.replace(CELL, "", 1).replace(END, "", 1).replace(ROOT, root)
        html = html.replace(PRICE, _usd(price, places), 1)
        if expected_price is not None:  # else the row says it is unpriced, and has no marker
            html = html.replace(EXPECTED, _usd(expected_price, expected_places), 1)
        pasted.append(Markup(html))
    return pasted


def _usd(amount: Decimal | None, places: int) -> str:
    """An amount pasted into a row, in ASCII as the rest of the page (templating.ascii_html): a
    missing one is "—"."""
    return _MISSING if amount is None else format_usd(amount, places)


_MISSING = ascii_html(format_usd(None))


class FragmentStore:
    """request n -> its rendered Row, call n -> its CallRow; one connection per process. With a
    cache (the previous build's store, see the module's docstring), rows can be copied from it."""

    def __init__(self, root: Path, cache: Path | None = None):
        self.path = root / STORE
        # autocommit off: each put() is one transaction; two processes write, each waits its turn
        # a URI, so that the cache can be attached read-only
        self.con = sqlite3.connect(self.path.resolve().as_uri(), uri=True, timeout=600, isolation_level="DEFERRED")
        self.con.execute("PRAGMA synchronous = OFF")  # a killed build throws the file away anyway
        # a rollback journal, in memory: with WAL every row went to the file twice (the WAL, then
        # its checkpoint), 0.6 s of a 100k incremental build. What WAL gives, reading while another
        # process writes, this store does not need: its rows are written in the render's first
        # phase (the requests tasks) and read in the second (user pages, calls list).
        self.con.execute("PRAGMA journal_mode = MEMORY")
        self._lock = root / WRITE_LOCK
        self.cached = False
        if cache is not None and cache.is_file():
            try:  # read-only, and immutable: no build writes it while this one runs
                self.con.execute("ATTACH DATABASE ? AS cache", (f"{cache.resolve().as_uri()}?mode=ro&immutable=1",))
                self.con.execute("SELECT n, html, price, key, calls FROM cache.rows LIMIT 0").fetchall()
                self.con.execute("SELECT n, html, price, expected FROM cache.calls LIMIT 0").fetchall()
                self.cached = True
            except sqlite3.DatabaseError as e:  # not a store of this version, damaged: rendered instead
                log.debug("render cache %s not used: %s", cache, e)

    @staticmethod
    def create(root: Path) -> None:
        """The empty store, made once before the workers start, which then only open it."""
        with _writing(root / STORE):
            con = sqlite3.connect(root / STORE)
            try:
                # the price as text: exact, as SQLite has no decimal type; key: the request's file key;
                # calls: the n of its calls' rows, a JSON array in the order of its calls table
                con.execute("CREATE TABLE rows (n INTEGER PRIMARY KEY, html TEXT NOT NULL, price TEXT, key TEXT, "
                            "calls TEXT)")
                # call rows by their n in the calls list (their request's row lists them)
                con.execute("CREATE TABLE calls (n INTEGER PRIMARY KEY, html TEXT NOT NULL, price TEXT, "
                            "expected TEXT)")
                con.commit()
            finally:
                con.close()

    def put(self, rows: Iterable[tuple[int, str | None, list[int], Row]],
            calls: Iterable[tuple[int, CallRow]] = ()) -> None:
        """(n, file key, n of its calls in the calls list, row) of some requests, and (n in the
        calls list, row) of their calls."""
        with _writing(self.path), self._turn(), self.con:
            self.con.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?)", (
                (n, row.html, _text(row.price), key, _json_ints(call_ns)) for n, key, call_ns, row in rows))
            self.con.executemany("INSERT INTO calls VALUES (?, ?, ?, ?)", (
                (n, row.html, _text(row.price), _text(row.expected_price)) for n, row in calls))

    def copy_cached(self, requests: list[tuple[int, str, int, list[int]]]) -> dict[int, Row]:
        """Copy from the cache the rows of `requests` ((n, file key, n in the previous snapshot, n
        of its calls in the calls list)) and of their calls; returns n -> row of the requests it
        had (a call it lacks is rendered by the calls list, see render.py)."""
        if not self.cached or not requests:
            return {}
        try:
            return self._copy(requests)
        except sqlite3.DatabaseError as e:  # rolled back; a store that fails (a full disk) fails in put() too
            log.debug("render cache not used from here on: %s", e)
            self.cached = False
            return {}

    def _copy(self, requests: list[tuple[int, str, int, list[int]]]) -> dict[int, Row]:
        with self.con:  # a table of this connection's own: the store is not locked for it
            self.con.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (n INTEGER PRIMARY KEY, key TEXT, "
                             "prev_n INTEGER, calls TEXT)")
            self.con.execute("DELETE FROM wanted")
            self.con.executemany("INSERT INTO wanted VALUES (?, ?, ?, ?)", (
                (n, key, prev_n, _json_ints(call_ns)) for n, key, prev_n, call_ns in requests))
        with self._turn(), self.con:
            # each a look-up by n (CROSS JOIN keeps the loops in this order: the cache, hundreds of
            # MB at 100k requests, is never scanned), kept when the key is the request's now
            self.con.execute("INSERT INTO rows SELECT w.n, c.html, c.price, c.key, w.calls FROM wanted w "
                             "CROSS JOIN cache.rows c ON c.n = w.prev_n AND c.key = w.key")
            # its calls: the i-th of the row's old n goes to the i-th of the new
            self.con.execute("INSERT INTO calls SELECT new.value, cc.html, cc.price, cc.expected "
                             "FROM wanted w CROSS JOIN cache.rows c ON c.n = w.prev_n AND c.key = w.key "
                             "CROSS JOIN json_each(c.calls) old CROSS JOIN json_each(w.calls) new ON new.key = old.key "
                             "CROSS JOIN cache.calls cc ON cc.n = old.value")
        # read back after the lock is let go: reading waits for no other process's write
        found = self.con.execute("SELECT r.n, r.html, r.price FROM wanted w CROSS JOIN rows r ON r.n = w.n").fetchall()
        return {n: Row(html, _decimal(price)) for n, html, price in found}

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's turn to write the store (see the module's docstring)."""
        try:
            fd = os.open(self._lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:  # a full disk cannot create it: the one-line error of any other write
            raise OutputError(f"cannot write {self._lock}: {e.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # lets the lock go

    def get(self, ns: list[int]) -> dict[int, Row]:
        """n -> row of the requests in `ns` (all of them must have been put)."""
        found = {}
        for i in range(0, len(ns), 10_000):  # SQLite's limit on an IN list's length is far above
            chunk = ",".join(str(int(n)) for n in ns[i:i + 10_000])
            for n, html, price in self.con.execute(f"SELECT n, html, price FROM rows WHERE n IN ({chunk})"):
                found[n] = Row(html, _decimal(price))
        return found

    def calls_between(self, start: int, stop: int) -> dict[int, CallRow]:
        """n -> row of the calls start..stop-1 of the calls list that were put (a call of a
        request whose row came from the cache without it was not)."""
        return {n: CallRow(html, _decimal(price), _decimal(expected)) for n, html, price, expected in
                self.con.execute("SELECT n, html, price, expected FROM calls WHERE n >= ? AND n < ?",
                                 (start, stop))}

    def close(self) -> None:
        self.con.close()


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """SQLite failing to write the store (a full disk, an I/O error) as the one-line OutputError
    every other write of the site gives (exit 6), not an internal error."""
    try:
        yield
    except sqlite3.OperationalError as e:
        raise OutputError(f"cannot write {path}: {e}") from None


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _json_ints(ns: list[int]) -> str:
    return f"[{','.join(map(str, ns))}]"


def keep_as_cache(root: Path, cache: Path) -> None:
    """Make the finished store at `root` the render cache at `cache`, replacing the one there: one
    file (its journal is in memory), moved in whole or not at all. It needs no index: the next build
    looks its rows up by n (copy_cached). A store that cannot be kept leaves the previous cache,
    whose rows are as right as ever for the keys they have: the build goes on."""
    try:
        os.replace(root / STORE, cache)
    except OSError as e:
        log.info("render cache not kept (the next build renders every row): %s", e)


def remove(root: Path) -> None:
    """The store (its journal is in memory: no side file) and its lock file, once the render is
    over (or failed)."""
    for name in (STORE, WRITE_LOCK):
        (root / name).unlink(missing_ok=True)
