"""render.py + urls.py + paginate.py: the JSON API's layout and envelopes, unsafe ids."""

from __future__ import annotations

import gzip
import json
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import call_row, load_json, read_list, usage_row, write_sqlite
from hypothesis import given
from hypothesis import strategies as st

from reportgen.pipeline import build
from reportgen.site import urls
from reportgen.site.paginate import page_count, pages
from reportgen.site.templating import markdown_html
from reportgen.site.writer import OutputError, SiteWriter


def built_site(tmp_path, config_for, usage, calls, workers=1, **overrides) -> Path:
    db = write_sqlite(tmp_path / "source.db", usage, calls)
    return build(config_for(f"sqlite://{db}", **overrides), workers=workers).path


def test_empty_tables_still_have_page_one(tmp_path, config_for):
    site = built_site(tmp_path, config_for, [], [])
    for name in ("user-summary", "requests", "inference-calls"):
        assert load_json(site / "api" / name / "page-1.json") == {"page": 1, "pages": 1, "total": 0, "items": []}
        assert not (site / "api" / name / "page-2.json").exists()


def test_pagination_envelopes(tmp_path, config_for):
    usage = [usage_row(f"r{i:02d}", created_at=f"2026-10-01T10:{i:02d}:00Z", user_id=f"u{i % 3}") for i in range(25)]
    site = built_site(tmp_path, config_for, usage, [], page_size=10, workers=2)
    envelopes = [load_json(site / "api" / "requests" / f"page-{n}.json") for n in (1, 2, 3)]
    assert [(e["page"], e["pages"], e["total"], len(e["items"])) for e in envelopes] == [
        (1, 3, 25, 10), (2, 3, 25, 10), (3, 3, 25, 5)]
    ids = [item["id"] for e in envelopes for item in e["items"]]
    assert ids == [f"r{i:02d}" for i in reversed(range(25))]  # newest first, none twice
    assert not (site / "api" / "requests" / "page-4.json").exists()


def test_request_row_fields_and_exact_prices(tmp_path, config_for):
    usage = [usage_row("r1", handle="Ann", model="m", input_tokens=1, output_tokens=2, cache_read_tokens=3,
                       cache_write_tokens=4, price="12345.123456789012")]
    calls = [call_row("c1", "r1", user_id="u1", input_tokens=1, output_tokens=2, cache_read_tokens=3,
                      cache_write_tokens=4, price="12345.123456789012", model="m")]
    site = built_site(tmp_path, config_for, usage, calls)
    (item,) = read_list(site, "requests")
    assert list(item) == ["id", "user_id", "handle", "created_at", "model", "input_tokens", "output_tokens",
                          "cache_read_tokens", "cache_write_tokens", "price", "source", "discrepancies",
                          "inference", "difference", "usage"]
    assert item["price"] == Decimal("12345.123456789012")  # exact: never a binary float on the way
    assert item["created_at"] == "2026-10-01T10:00:00.000000+00:00"
    assert item["inference"] == {"calls": 1, "input_tokens": 1, "output_tokens": 2, "cache_read_tokens": 3,
                                 "cache_write_tokens": 4, "price": Decimal("12345.123456789012"),
                                 "expected_price": None, "unpriced_calls": 1}  # no price table knows model "m"
    (call,) = read_list(site, "inference-calls")
    assert list(call) == ["id", "usage_id", "created_at", "user_id", "model", "input_tokens", "output_tokens",
                          "cache_read_tokens", "cache_write_tokens", "price", "request_id", "expected_price"]
    assert call["expected_price"] is None
    (user,) = read_list(site, "user-summary")
    assert list(user) == ["user_id", "handle", "requests", "input_tokens", "output_tokens", "cache_read_tokens",
                          "cache_write_tokens", "price", "discrepancies", "first_seen", "last_seen", "source",
                          "usage_over_inference", "usage_under_inference"]
    doc = load_json(site / "api" / "requests" / "r1.json")
    assert doc["calls"] == [call] and {k: v for k, v in doc.items() if k != "calls"} == item
    assert load_json(site / "api" / "inference-calls" / "by-usage" / "r1.json") == {
        "usage_id": "r1", "request_id": "r1", "total": 1, "items": [call]}


UNSAFE = ["../escape", "a b/c", "ünïcode-Ω", "x" * 150, "y" * 400, "page-1", ".hidden", "index", "..", "/abs",
          "back\\slash", "nul\x01byte"]


def test_unsafe_ids_stay_inside_and_reachable(tmp_path, config_for):
    usage = [usage_row(i, created_at=f"2026-10-01T10:{n:02d}:00Z") for n, i in enumerate(UNSAFE)]
    calls = [call_row(f"c{n}", i) for n, i in enumerate(UNSAFE)]
    site = built_site(tmp_path, config_for, usage, calls)
    out = site.parent.parent
    inside = {p.resolve() for p in out.rglob("*")}
    assert all(str(p).startswith(str(out.resolve())) for p in inside)
    assert not (out.parent / "escape.json").exists()
    for request_id in UNSAFE:
        doc = load_json(site / urls.api_request(request_id))
        assert doc["id"] == request_id
        assert load_json(site / urls.api_calls_by_usage(request_id))["items"][0]["usage_id"] == request_id
    # the paginated page-1.json was not overwritten by the request whose id is "page-1"
    assert load_json(site / "api" / "requests" / "page-1.json")["total"] == len(UNSAFE)
    meta = load_json(site / "api" / "meta.json")
    assert meta["id_encoding"] == json.loads(json.dumps(urls.ID_ENCODING))


@given(st.text(min_size=1, max_size=3600))
def test_id_encoding_is_reversible_and_safe(identifier):
    stem = urls.id_stem(identifier)
    assert "/" not in stem and len(stem.encode()) <= 201  # one segment: '.json' still fits NAME_MAX
    if stem == identifier:
        assert urls.SAFE_ID.fullmatch(stem) and not stem.startswith(".")
    elif stem.startswith(urls.DIGEST_PREFIX):
        assert len(identifier.encode()) > 150 and re.fullmatch(r"~~[0-9a-f]{64}", stem)
        assert urls.id_from_stem(stem, {stem: identifier}) == identifier
    else:
        assert re.fullmatch(r"~[A-Za-z0-9_-]{1,200}", stem)
        assert urls.id_from_stem(stem) == identifier


def test_very_long_ids_get_files_and_are_listed(tmp_path, config_for):
    long_request, long_user = "r" * 3500, "ü" * 1000
    usage = [usage_row(long_request, user_id=long_user, price="1"), usage_row("r1", user_id=long_user)]
    site = built_site(tmp_path, config_for, usage, [call_row("c1", long_request, price="1")])
    listed = load_json(site / urls.LONG_IDS)
    assert listed == {urls.id_stem(long_request): long_request, urls.id_stem(long_user): long_user}
    for path in (urls.api_request(long_request), urls.request(long_request), urls.user(long_user)):
        assert (site / path).is_file(), path
    assert load_json(site / urls.api_request(long_request))["id"] == long_request


def test_encoded_example_in_meta_is_true():
    for identifier, stem in urls.ID_ENCODING["example"].items():
        assert urls.id_stem(identifier) == stem


def test_writer_refuses_escapes_and_second_writes(tmp_path):
    writer = SiteWriter(tmp_path)
    writer.write("a/b.json", "{}")
    for bad in ("../x", "/etc/x", "a/../../x", "a//b", "a\\b", "./a", ""):
        with pytest.raises(OutputError, match="outside"):
            writer.write(bad, "")
    with pytest.raises(OutputError, match="twice"):
        writer.write("a/b.json", "{}")
    assert sorted(os.listdir(tmp_path)) == ["a"]


def test_writer_writes_whole_files_when_the_system_writes_less_than_asked(tmp_path, monkeypatch):
    writer = SiteWriter(tmp_path)
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data[:7])))  # as a signal or full pipe may
    text = "<p>" + "é" * 5000 + "</p>"
    writer.write("a/b.html", text)
    assert (tmp_path / "a" / "b.html").read_text(encoding="utf-8") == text
    assert gzip.decompress((tmp_path / "a" / "b.html.gz").read_bytes()).decode() == text
    assert writer.count == 2 and writer.take_manifest().count("\n") == 2


def test_gz_twins_are_the_same_bytes_in_every_build(tmp_path):
    """Two builds of the same page give the same twin: no time in its gzip header, so an
    unchanged page's twin hashes the same in both manifests."""
    text = "<p>" + "row " * 4000 + "</p>"
    twins = []
    for name in ("one", "two"):
        SiteWriter(tmp_path / name).write("a/b.html", text)
        twins.append((tmp_path / name / "a" / "b.html.gz").read_bytes())
    assert twins[0] == twins[1] and twins[0][4:8] == bytes(4)  # MTIME: none
    assert gzip.decompress(twins[0]).decode() == text and len(twins[0]) < len(text) // 10


def test_writer_links_a_file_with_the_gz_twin_a_write_would_have_made(tmp_path):
    previous, current = tmp_path / "previous", tmp_path / "current"
    SiteWriter(previous).write("r/big.html", "<p>" + "x" * 9000 + "</p>")
    SiteWriter(previous).write("r/small.html", "<p>small</p>")
    (previous / "r" / "small.html.gz").write_bytes(gzip.compress(b"<p>stray</p>"))  # not what write() makes
    writer = SiteWriter(current)
    assert writer.link("r/big.html", previous) and writer.link("r/small.html", previous)
    assert not writer.link("r/gone.html", previous)
    assert sorted(os.listdir(current / "r")) == ["big.html", "big.html.gz", "small.html"]
    assert os.stat(current / "r" / "big.html.gz").st_ino == os.stat(previous / "r" / "big.html.gz").st_ino
    assert writer.take_linked() == ["r/big.html", "r/big.html.gz", "r/small.html"] and writer.count == 3


def test_pages():
    assert page_count(0, 10) == 1 and page_count(10, 10) == 1 and page_count(11, 10) == 2
    first, second = pages(11, 10)
    assert (first.previous, first.next, first.start, first.stop) == (None, 2, 0, 10)
    assert (second.previous, second.next, second.start, second.stop) == (1, None, 10, 11)


def test_links_are_relative():
    assert urls.link("index.html", "api/meta.json") == "api/meta.json"
    assert urls.link("requests/page-2.html", "index.html") == "../index.html"
    assert urls.link("a/b/c.html", "a/~x/y.html") == "../~x/y.html"


@pytest.mark.parametrize("markdown_text", [
    "[x](javascript:alert(1))", "[x](JaVa\tScript:alert(1))", "[x]( javascript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)", "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "[x](vbscript:msgbox)", "[x]: javascript:alert(1)\n\n[y][x]",
])
def test_notes_links_only_http_mailto_and_relative(markdown_text):
    html = markdown_html(markdown_text)
    assert "href" not in html and "src" not in html, html


def test_notes_keep_safe_links():
    html = markdown_html("[a](https://example.com/x) [b](mailto:ops@example.com) [c](requests/page-1.html)")
    assert html.count("href=") == 3


def test_control_characters_from_the_data_are_shown_not_written(tmp_path, config_for):
    hostile = "nul\x00esc\x1b[31mbell\x07del\x7f"
    usage = [usage_row("r1", user_id="u\x1b1", handle=hostile, model=hostile, price="0.1")]
    calls = [call_row("c\x001", "r1", model=hostile, price="0.1")]
    site = built_site(tmp_path, config_for, usage, calls)
    pages = list(site.rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), page
    assert "nul\\x00esc\\x1b[31mbell" in (site / "index.html").read_text(encoding="utf-8")


def test_a_requests_comparison_and_calls_are_the_same_on_every_page_that_shows_them(tmp_path, config_for):
    """They are rendered once per request (site/fragments.py) by one process and pasted by others
    (user pages run in a second phase, from the store): each page shows the request's own."""
    usage = [usage_row(f"r{i}", created_at=f"2026-10-01T10:{i:02d}:00Z", user_id=f"u{i % 2}", input_tokens=i,
                       price=f"0.{i + 1}") for i in range(12)]
    calls = [call_row(f"c{i}", f"r{i}", created_at=f"2026-10-01T10:{i:02d}:30Z", user_id=f"u{i % 2}",
                      input_tokens=i + (i % 3 == 0), price=f"0.{i + 1}") for i in range(12)]
    site = built_site(tmp_path, config_for, usage, calls, page_size=5, workers=2)

    def tables(path: str) -> dict[str, tuple[str, str]]:
        """request id -> (its comparison table, its calls table) as shown on the page at `path`."""
        text = (site / path).read_text(encoding="utf-8")
        found = {}
        for part in re.split(r'(?=<table class="comparison">)', text)[1:]:
            comparison, calls_table = re.findall(r"<table class=\"(?:comparison|calls)\">.*?</table>", part, re.S)[:2]
            request_id = re.search(r"<code>(c\d+)</code>", calls_table).group(1).replace("c", "r")
            found[request_id] = (comparison, calls_table)
        return found

    listed = {**tables(urls.requests_page(1)), **tables(urls.requests_page(2)), **tables(urls.requests_page(3))}
    on_user_pages = {k: v for user in ("u0", "u1") for n in (1, 2) for k, v in tables(urls.user(user, n)).items()}
    assert sorted(listed) == sorted(on_user_pages) == sorted(f"r{i}" for i in range(12))
    for request_id, shown in listed.items():
        assert on_user_pages[request_id] == shown == tables(urls.request(request_id))[request_id]
    assert ">-1<" in listed["r3"][0] and ">-1<" not in listed["r4"][0]  # r3 records a token fewer than its call
    assert not list(site.glob(".fragments*")), "the fragment store is removed before publishing"


def test_user_pages_list_each_users_requests_newest_first_across_fetches(tmp_path, config_for, monkeypatch):
    """A users task reads which requests it shows from user_requests a fetch at a time, and their
    rows from the fragment store: with fetches of 3 requests, pages of 2 and tasks of about 3
    requests, every user page still holds exactly its user's requests, in the requests list's order."""
    from reportgen.site import queries, render

    monkeypatch.setattr(queries, "REQUESTS_PER_FETCH", 3)
    monkeypatch.setattr(render, "REQUESTS_PER_TASK", 3)  # users tasks that start past the first user
    counts = {"u0": 7, "u1": 1, "u2": 4, "u3": 2}
    usage = [usage_row(f"{user}-{i}", created_at=f"2026-10-0{i + 1}T1{n}:00:00Z", user_id=user, price=f"{n + 1}")
             for n, (user, count) in enumerate(counts.items()) for i in range(count)]
    site = built_site(tmp_path, config_for, usage, [], page_size=2)
    listed = [item["id"] for item in read_list(site, "requests")]
    for user, count in counts.items():
        shown = []
        for number in range(1, (count + 1) // 2 + 1):
            text = (site / urls.user(user, number)).read_text(encoding="utf-8")
            rows = re.findall(r'<details class="request.*?<code>([^<]+)</code>', text, re.S)
            assert len(rows) == min(2, count - 2 * (number - 1)), (user, number)
            shown += rows
        assert not (site / urls.user(user, (count + 1) // 2 + 1)).exists()
        assert shown == [i for i in listed if i.startswith(f"{user}-")], user


def test_pages_in_folders_of_one_kind_share_the_chrome_rendered_for_their_own_folder(tmp_path, config_for):
    """Worker.chrome renders the header, footer and legend once per kind of folder (every user's
    folder shares one): each path gets exactly what rendering them for that path itself gives."""
    from reportgen.site import render

    site = built_site(tmp_path, config_for, [usage_row("r1")], [call_row("c1", "r1")])
    config = config_for("sqlite:///unused.db")
    settings = render._settings(config, site / "snapshot.duckdb", tmp_path / "unused", None)
    paths = [urls.INDEX, urls.HELP, urls.users_page(1), urls.users_page(2), urls.requests_page(1), urls.request("r1"),
             urls.calls_by_usage("r1"), urls.user("u1"), urls.user("u2", 3), urls.user("page-1.html"),
             urls.user("users"), urls.api_request("r1"), urls.rejected_page(1), "a/b/c/d.html"]
    shared = render.Worker(settings)
    try:
        for since in (None, "20261101T000000Z"):
            for path in paths:
                fresh = render.Worker(settings)
                try:
                    assert shared.chrome(path, since) == fresh.chrome(path, since), path
                finally:
                    fresh.close()
        assert len(shared._chrome) < 2 * len(paths)
        assert shared.chrome(urls.user("u1"), None) is shared.chrome(urls.user("u2"), None)
    finally:
        shared.close()


def test_a_worker_pool_that_does_not_stop_cannot_hang_the_build(tmp_path, config_for, monkeypatch):
    """Pool.terminate() can block for good (seen once in CI, a build on a full disk stuck with its
    workers gone): the render waits TERMINATE_SECONDS for it, then kills the workers and ends."""
    import multiprocessing
    import multiprocessing.pool
    import threading
    import time

    from reportgen.site import render

    def terminate_never_returns(pool):
        # as the real one begins: the pool stops replacing its workers and its exit-time
        # finalizer is used up (else it would run at this process's exit); then it blocks for good
        pool._worker_handler._state = multiprocessing.pool.TERMINATE
        pool._terminate.cancel()
        threading.Event().wait()

    monkeypatch.setattr(multiprocessing.pool.Pool, "terminate", terminate_never_returns)
    monkeypatch.setattr(render, "TERMINATE_SECONDS", 1)
    usage = [usage_row(f"r{i}", created_at=f"2026-10-01T10:{i:02d}:00Z") for i in range(6)]
    started = time.monotonic()
    site = built_site(tmp_path, config_for, usage, [call_row("c1", "r1")], page_size=2, workers=2)
    assert time.monotonic() - started < 60
    assert (site / urls.request("r5")).exists()
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not multiprocessing.active_children(), "the workers were killed"
