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
does in microseconds a row and DuckDB's row-at-a-time inserts do not. The file is removed when the
render ends; nothing is computed from it.

A request unchanged since the previous snapshot has its page hard-linked from there, made by
the same templates from the same data (its key says so): its fragments are read back from that
page, between the markers request.html puts around them, instead of being rendered again, and
so are its calls' rows for the calls list, from its calls table (calls_list_rows: each given
back its request cell and its amounts' markers). Data is escaped, so no text from it can look
like a marker or a cell's end."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

from markupsafe import Markup

from . import urls
from .templating import format_usd, usd_places

STORE = ".fragments.sqlite"  # in the staging folder, while the render runs
# around each fragment in request.html
COMPARISON_MARKERS = ("<!-- comparison -->", "<!-- /comparison -->")
CALLS_MARKERS = ("<!-- calls -->", "<!-- /calls -->")
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
    return [Markup(row.html.replace(ROOT, root).replace(PRICE, format_usd(row.price, places))) for row in rows]


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
        html = html.replace(PRICE, format_usd(price, places), 1)
        if expected_price is not None:  # else the row says it is unpriced, and has no marker
            html = html.replace(EXPECTED, format_usd(expected_price, expected_places), 1)
        pasted.append(Markup(html))
    return pasted


ROW_END = "</tr>\n"
CELL_AFTER = "</td>\n"  # the request cell follows the row's first cell after its heading (its time)
AMOUNT = '<td class="num">'  # the row's last two cells: its price, its expected price
UNPRICED = '<span class="muted">unpriced</span>'


def calls_list_rows(calls_table: str, cells: list[str]) -> list[CallRow] | None:
    """The rows a request's calls have in the calls list, read back from its calls table as its
    page shows it (from_request_page): each row gets its request cell back, `cells[i]`
    (_call_row.html's request_cell, with ROOT), and its two amounts back as markers, their exact
    values read off the text the table shows (format_usd shows every decimal an amount has, so
    the text is the amount). None when the table does not hold one such row per cell."""
    calls_table = str(calls_table)  # not Markup, which would escape the markers pasted into it
    body = calls_table[calls_table.find("<tbody>\n") + len("<tbody>\n"):calls_table.rfind("  </tbody>")]
    pieces = body.split(ROW_END)
    if len(pieces) != len(cells) + 1 or pieces[-1]:
        return None
    rows = []
    for piece, cell in zip(pieces, cells):
        row = _read_back(piece, cell)
        if row is None:
            return None
        rows.append(row)
    return rows


def _read_back(piece: str, cell: str) -> CallRow | None:
    """One row of calls_list_rows (`piece`: the row without its ROW_END)."""
    at = piece.find(CELL_AFTER)
    expected_at = piece.rfind("<td")
    price_at = piece.rfind("<td", 0, expected_at)
    # the request cell's place is after the row's first cell, its amounts are its last two cells
    if (piece.count("<td", 0, at) != 1 or not at < price_at or not piece.startswith(AMOUNT, price_at)
            or not piece.startswith(AMOUNT, expected_at)):
        return None
    at += len(CELL_AFTER)
    price_at += len(AMOUNT)
    expected_at += len(AMOUNT)
    price_end, expected_end = piece.find("</td>", price_at), piece.find("</td>", expected_at)
    expected_text = piece[expected_at:expected_end]
    try:
        price = _amount(piece[price_at:price_end])
        expected = None if expected_text == UNPRICED else _amount(expected_text)
    except (InvalidOperation, ValueError):
        return None
    html = (piece[:at] + CELL + cell + END + piece[at:price_at] + PRICE + piece[price_end:expected_at]
            + (UNPRICED if expected is None else EXPECTED) + piece[expected_end:] + ROW_END)
    return CallRow(html, price, expected)


def _amount(text: str) -> Decimal | None:
    """The exact amount format_usd showed as `text` ("-$1,234.500000", or "—" for none)."""
    if text == "—":
        return None
    if not text.startswith(("$", "-$")):
        raise ValueError(text)
    value = Decimal(text.lstrip("-$").replace(",", ""))
    return -value if text.startswith("-") else value


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
    """request n -> its rendered Row; one connection per process."""

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
            # the price as text: exact, as SQLite has no decimal type
            con.execute("CREATE TABLE rows (n INTEGER PRIMARY KEY, html TEXT NOT NULL, price TEXT)")
            # call rows by their n in the calls list
            con.execute("CREATE TABLE calls (n INTEGER PRIMARY KEY, html TEXT NOT NULL, price TEXT, expected TEXT)")
            con.commit()
        finally:
            con.close()

    def put(self, rows: Iterable[tuple[int, Row]], calls: Iterable[tuple[int, CallRow]] = ()) -> None:
        """(n, row) of some requests, and (n in the calls list, row) of their calls."""
        with self.con:
            self.con.executemany("INSERT INTO rows VALUES (?, ?, ?)", (
                (n, row.html, _text(row.price)) for n, row in rows))
            self.con.executemany("INSERT INTO calls VALUES (?, ?, ?, ?)", (
                (n, row.html, _text(row.price), _text(row.expected_price)) for n, row in calls))

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
        request linked from the previous snapshot was not: its row was not rendered)."""
        return {n: CallRow(html, _decimal(price), _decimal(expected)) for n, html, price, expected in
                self.con.execute("SELECT * FROM calls WHERE n >= ? AND n < ?", (start, stop))}

    def close(self) -> None:
        self.con.close()


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def remove(root: Path) -> None:
    """The store and SQLite's side files, once the render is over (or failed)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        (root / (STORE + suffix)).unlink(missing_ok=True)
