"""The fragment store that render processes share while a build runs (site/fragments.py)."""

from __future__ import annotations

import multiprocessing
from decimal import Decimal

from markupsafe import Markup

from reportgen.site.fragments import CELL, END, EXPECTED, PRICE, ROOT, CallRow, FragmentStore, Row, call_rows, page_rows


def _row(n: int) -> Row:
    return Row(f"<details>{PRICE}<a href='{ROOT}requests/r{n}.html'>r{n}</a></details>",
               None if n % 7 == 0 else Decimal(f"0.{n:03d}0000001"))


def _put_and_read(root, first: int, barrier) -> dict:
    barrier.wait()  # both processes open and write at the same moment, as two render workers do
    store = FragmentStore(root)
    try:
        store.put([(n, _row(n)) for n in range(first, first + 500)])
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


def test_fragments_are_read_back_from_a_request_page_between_their_markers():
    from reportgen.site.fragments import from_request_page

    page = ("<h2>Usage</h2>\n<!-- comparison --><table>&lt;!-- /comparison --&gt;</table><!-- /comparison -->\n"
            "<h2>Calls</h2>\n<!-- calls --><table class=calls></table>\n<!-- /calls -->\n<p>end</p>")
    assert from_request_page(page) == ("<table>&lt;!-- /comparison --&gt;</table>", "<table class=calls></table>\n")
    # a page without them (another template) gives nothing: its fragments are rendered instead
    assert from_request_page(page.replace("<!-- /calls -->", "")) is None
    assert from_request_page("<p>no markers</p>") is None


def test_a_pasted_row_links_from_its_page_and_shares_its_price_column():
    rows = [Row(f"<p>{PRICE} <a href='{ROOT}requests/a.html'>a</a> <a href='{ROOT}users/u/page-1.html'>u</a></p>",
                price) for price in (Decimal("0.5"), Decimal("0.00000012"), None)]
    assert page_rows(rows, "requests/page-3.html") == [
        "<p>$0.50000000 <a href='../requests/a.html'>a</a> <a href='../users/u/page-1.html'>u</a></p>",
        "<p>$0.00000012 <a href='../requests/a.html'>a</a> <a href='../users/u/page-1.html'>u</a></p>",
        "<p>— <a href='../requests/a.html'>a</a> <a href='../users/u/page-1.html'>u</a></p>"]
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


def test_call_rows_are_kept_by_their_place_in_the_calls_list(tmp_path):
    FragmentStore.create(tmp_path)
    store = FragmentStore(tmp_path)
    try:
        store.put([(0, _row(0))], [(n, _call(f"0.{n}", None if n == 3 else "1")) for n in (1, 2, 3, 7)])
        found = store.calls_between(2, 7)
        assert found == {2: _call("0.2", "1"), 3: _call("0.3", None)}  # exact amounts, None kept
        assert store.calls_between(8, 20) == {}
    finally:
        store.close()


def _rendered_call(call_id: str, price: str | None, expected: str | None, usage_id: str | None) -> dict:
    return {"id": call_id, "created_at": "2026-10-02T20:20:38.000000+00:00", "user_id": "u<1>", "model": "m",
            "input_tokens": 1869, "output_tokens": 0, "cache_read_tokens": 12, "cache_write_tokens": None,
            "price": None if price is None else Decimal(price),
            "expected_price": None if expected is None else Decimal(expected),
            "request_id": usage_id or f"call:{call_id}", "usage_id": usage_id,
            "flags": ["other_user"] if call_id == "c2" else []}


def test_a_linked_request_s_call_rows_are_read_back_from_its_page_s_calls_table():
    """Of a request linked from the previous snapshot, the calls list pastes the rows its page's
    calls table shows, given back their request cells and exact amounts: the same rows as
    rendering its calls again would give, so both lists are the same page."""
    from reportgen.site.fragments import calls_list_rows
    from reportgen.site.templating import environment

    env = environment("UTC")
    module = env.get_template("_call_row.html").module
    calls = [_rendered_call("c1", "1234.5", "0.00000012", "r&1"),
             _rendered_call("c2", "-0.25", None, "r&1"),  # a refund, unpriced, flagged
             _rendered_call("c3", None, "0.1", None)]  # no price recorded, no usage_id
    markers = [Markup(marker) for marker in (PRICE, EXPECTED, ROOT, CELL, END)]  # as render.py passes them
    rows = [CallRow(str(module.call_row(call, *markers)), call["price"],
                    call["expected_price"]) for call in calls]
    table = env.get_template("_calls_table.html").render(rows=call_rows(rows, None), show_request=False)
    assert "$1,234.500000<" in table and "-$0.250000<" in table and "$0.00000012<" in table  # its own decimals
    cells = [str(module.request_cell(call["request_id"], call["usage_id"] is None, markers[2])) for call in calls]
    assert "(no usage_id)" in cells[2] and "r&amp;1" in cells[0]
    read_back = calls_list_rows(table, cells)
    assert read_back == rows
    assert [row.html for row in read_back] == [row.html for row in rows]
    assert call_rows(read_back, "calls/page-1.html") == call_rows(rows, "calls/page-1.html")
    # a table that does not hold one such row per call gives nothing: the calls list renders them
    assert calls_list_rows(table, cells[:2]) is None
    assert calls_list_rows(table.replace('<td class="num">', "<td>"), cells) is None
    # an amount cell that is not one: the row does not read back, rather than read the wrong cell
    assert calls_list_rows(table.replace('<td class="num">$1,234.500000', "<td>$1,234.500000"), cells) is None
    assert calls_list_rows(table.replace("$1,234.500000", "$1,2x4.5"), cells) is None
