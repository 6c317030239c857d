"""The fragment store that render processes share while a build runs (site/fragments.py)."""

from __future__ import annotations

import multiprocessing

from reportgen.site.fragments import FragmentStore


def _put_and_read(root, first: int, barrier) -> dict:
    barrier.wait()  # both processes open and write at the same moment, as two render workers do
    store = FragmentStore(root)
    try:
        store.put([(n, f'{{"id":"r{n}"}}', f"<table>{n}</table>", f"<ul>{n}</ul>") for n in range(first, first + 500)])
        return {n: tuple(map(str, parts)) for n, parts in store.get(list(range(first, first + 500))).items()}
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
        assert results[0] == {n: (f'{{"id":"r{n}"}}', f"<table>{n}</table>", f"<ul>{n}</ul>") for n in range(500)}
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
