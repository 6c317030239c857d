"""The fragment store that render processes share while a build runs (site/fragments.py)."""

from __future__ import annotations

import multiprocessing
import sqlite3
from decimal import Decimal

import pytest

from reportgen.site.fragments import CELL, END, EXPECTED, PRICE, ROOT, CallRow, FragmentStore, Row, call_rows, page_rows


def _row(n: int) -> Row:
    return Row(f"<details>{PRICE}<a href='{ROOT}requests/r{n}.html'>r{n}</a></details>",
               None if n % 7 == 0 else Decimal(f"0.{n:03d}0000001"))


def _put_and_read(root, first: int, barrier) -> dict:
    barrier.wait()  # both processes open and write at the same moment, as two render workers do
    store = FragmentStore(root)
    try:
        store.put([(n, f"k{n}", [], _row(n)) for n in range(first, first + 500)])
        return store.get(list(range(first, first + 500)))
    finally:
        store.close()


def test_two_processes_open_and_fill_one_store_at_once(tmp_path):
    """Workers start together; each one switching a new file to WAL itself failed now and then
    with "database is locked". The build makes the store once; workers only connect to it."""
    context = multiprocessing.get_context("spawn")
    for attempt in range(20):
        root = tmp_path / str(attempt)
        root.mkdir()
        FragmentStore.create(root)
        with context.Manager() as manager:
            barrier = manager.Barrier(2, timeout=60)
            with context.Pool(2) as pool:
                results = pool.starmap(_put_and_read, [(root, 0, barrier), (root, 500, barrier)])
        assert results[0] == {n: _row(n) for n in range(500)}  # prices exact, None kept
        assert len(results[1]) == 500
        reader = FragmentStore(root)
        assert len(reader.get(list(range(1000)))) == 1000
        reader.close()


def test_a_pasted_row_links_from_its_page_and_shares_its_price_column():
    rows = [Row(f"<p>{PRICE} <a href='{ROOT}requests/a.html'>a</a> <a href='{ROOT}users/u/page-1.html'>u</a></p>",
                price) for price in (Decimal("0.5"), Decimal("0.00000012"), None)]
    assert page_rows(rows, "requests/page-3.html") == [
        "<p>$0.50000000 <a href='../requests/a.html'>a</a> <a href='../users/u/page-1.html'>u</a></p>",
        "<p>$0.00000012 <a href='../requests/a.html'>a</a> <a href='../users/u/page-1.html'>u</a></p>",
        "<p>&mdash; <a href='../requests/a.html'>a</a> <a href='../users/u/page-1.html'>u</a></p>"]  # ASCII, as pages
    (on_user_page,) = page_rows(rows[:1], "users/u/page-2.html")
    assert on_user_page == ("<p>$0.500000 <a href='../../requests/a.html'>a</a> "
                            "<a href='../../users/u/page-1.html'>u</a></p>")
    assert page_rows([], "requests/page-1.html") == []


def _call(price: str, expected: str | None) -> CallRow:
    expected_cell = "unpriced" if expected is None else EXPECTED
    return CallRow(f"<tr><th>c</th>{CELL}<td><a href='{ROOT}requests/r.html'>r</a></td>{END}"
                   f"<td>{PRICE}</td><td>{expected_cell}</td></tr>",
                   Decimal(price), None if expected is None else Decimal(expected))


def test_a_call_row_keeps_its_request_cell_in_the_calls_list_and_loses_it_in_its_request():
    rows = [_call("0.5", "0.25"), _call("0.00000012", None), _call("0.1", "0.0000001")]
    # the calls list: the request cell linked from the page; each column as many decimals as it needs
    assert call_rows(rows, "calls/page-2.html") == [
        "<tr><th>c</th><td><a href='../requests/r.html'>r</a></td><td>$0.50000000</td><td>$0.2500000</td></tr>",
        "<tr><th>c</th><td><a href='../requests/r.html'>r</a></td><td>$0.00000012</td><td>unpriced</td></tr>",
        "<tr><th>c</th><td><a href='../requests/r.html'>r</a></td><td>$0.10000000</td><td>$0.0000001</td></tr>"]
    # a request's own table: no request cell, and its own columns' decimals
    assert call_rows(rows[:1], None) == ["<tr><th>c</th><td>$0.500000</td><td>$0.250000</td></tr>"]
    assert call_rows([], None) == []
    unpriced = rows[1]._replace(price=None)  # a call without a price: a dash, in ASCII as pages are
    assert call_rows([unpriced], None) == ["<tr><th>c</th><td>&mdash;</td><td>unpriced</td></tr>"]


def test_call_rows_are_kept_by_their_place_in_the_calls_list(tmp_path):
    FragmentStore.create(tmp_path)
    store = FragmentStore(tmp_path)
    try:
        store.put([(0, "k0", [1, 2, 3, 7], _row(0))], [(n, _call(f"0.{n}", None if n == 3 else "1"))
                                                       for n in (1, 2, 3, 7)])
        found = store.calls_between(2, 7)
        assert found == {2: _call("0.2", "1"), 3: _call("0.3", None)}  # exact amounts, None kept
        assert store.calls_between(8, 20) == {}
    finally:
        store.close()


def test_a_kept_store_gives_its_rows_to_the_next_render(tmp_path):
    """The render cache (keep_as_cache, copy_cached): rows and call rows come back from their
    n in the previous build, under the new build's n, when they carry the request's key; a row
    it lacks, or holds for another key, gives nothing, and neither do its calls (that request
    is rendered whole)."""
    from reportgen.site.fragments import keep_as_cache

    first, second, cache = tmp_path / "first", tmp_path / "second", tmp_path / "cache.sqlite"
    for root in (first, second):
        root.mkdir()
        FragmentStore.create(root)
    store = FragmentStore(first)
    store.put([(0, "a", [0, 2], _row(0)), (1, "b", [1], _row(1))],
              [(0, _call("0.1", "1")), (2, _call("0.2", None)), (1, _call("0.3", "1"))])
    store.close()
    keep_as_cache(first, cache)
    assert cache.is_file() and not (first / ".fragments.sqlite").exists()
    store = FragmentStore(second, cache)
    try:
        # r0 (was n 0) is now n 10, its calls 21 and 20; n 1 holds b's row, not "changed"'s; n 5 held nothing
        found = store.copy_cached([(10, "a", 0, [21, 20]), (11, "changed", 1, [22]), (12, "gone", 5, [23])])
        assert found == {10: _row(0)}
        assert store.calls_between(0, 100) == {21: _call("0.1", "1"), 20: _call("0.2", None)}
        assert store.get([10]) == {10: _row(0)}
    finally:
        store.close()
    # a store that cannot be kept (here: no such folder) leaves the build going, and the cache as it was
    keep_as_cache(second, tmp_path / "no such folder" / "cache.sqlite")
    reader = FragmentStore(tmp_path, cache)
    assert reader.cached
    reader.close()


def test_the_store_writes_each_row_once_and_still_rolls_back_a_failed_write(tmp_path):
    """Its journal is in memory: no WAL beside the file (every row written twice, once there and
    once at its checkpoint), but a put() that fails half-way leaves none of its rows."""
    FragmentStore.create(tmp_path)
    store = FragmentStore(tmp_path)
    try:
        assert store.con.execute("PRAGMA journal_mode").fetchone() == ("memory",)
        store.put([(0, "a", [], _row(0))])
        with pytest.raises(sqlite3.IntegrityError):  # n 0 twice: the second put fails at its second row
            store.put([(1, "b", [], _row(1)), (0, "a", [], _row(0))])
        assert store.get([0, 1]) == {0: _row(0)}
        assert not list(tmp_path.glob("*-wal"))
    finally:
        store.close()


def test_a_process_writes_the_store_only_in_its_turn_and_copies_from_the_cache_in_it_too(tmp_path):
    """Writers take turns on the lock file (flock) rather than sleeping on SQLite's lock: while
    another process holds it, neither put() nor copy_cached() writes, and each goes on as soon
    as it is let go. A store whose lock file cannot be made is the one-line OutputError."""
    import fcntl
    import os
    import threading

    from reportgen.site.fragments import WRITE_LOCK, keep_as_cache, remove
    from reportgen.site.writer import OutputError

    first, second = tmp_path / "first", tmp_path / "second"
    for root in (first, second):
        root.mkdir()
        FragmentStore.create(root)
    store = FragmentStore(first)
    store.put([(0, "a", [0], _row(0))], [(0, _call("0.1", "1"))])
    store.close()
    keep_as_cache(first, tmp_path / "cache.sqlite")
    done = []

    def write() -> None:  # a connection is used by the thread that made it
        writer = FragmentStore(second, tmp_path / "cache.sqlite")
        try:
            done.append(writer.put([(5, "e", [], _row(5))]))
            done.append(writer.copy_cached([(6, "a", 0, [9])]))
        finally:
            writer.close()

    other = os.open(second / WRITE_LOCK, os.O_RDWR | os.O_CREAT)  # another process's turn
    fcntl.flock(other, fcntl.LOCK_EX)
    thread = threading.Thread(target=write)
    reader = FragmentStore(second)
    try:
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and not done  # waiting for its turn
        assert reader.get([5, 6]) == {}  # nothing written meanwhile
        os.close(other)  # its turn is over
        thread.join(30)
        assert done == [None, {6: _row(0)}]
        assert reader.get([5, 6]) == {5: _row(5), 6: _row(0)}
        assert reader.calls_between(9, 10) == {9: _call("0.1", "1")}
    finally:
        thread.join(30)
        reader.close()
    remove(second)
    assert not list(second.iterdir())  # the lock file goes with the store
    (second / WRITE_LOCK).mkdir()  # cannot be opened as a file
    FragmentStore.create(second)
    with pytest.raises(OutputError, match=r"cannot write .*\.fragments\.lock"):
        FragmentStore(second).put([(0, "a", [], _row(0))])
