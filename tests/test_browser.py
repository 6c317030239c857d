"""The demo site in a real headless Chromium (Debian's, driven by Playwright), served over HTTP
on loopback with JavaScript off: pagination to the last page, a request's <details> opened onto
its inference calls, request and user links followed. Screenshots go to test-artifacts/."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from reportgen import demo
from reportgen.config import load_config
from reportgen.pipeline import build

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.integration


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo site on http://127.0.0.1:<port>/ (OUT/latest)."""
    tmp = tmp_path_factory.mktemp("browser")
    demo.generate(tmp / "demo.db", rows=400, seed=3)
    config = load_config(None, {"source": f"sqlite://{tmp / 'demo.db'}", "out": tmp / "out", "page_size": 50})
    site = build(config, workers=2).path
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    outside = []
    context.route("**/*", lambda route: (outside.append(route.request.url), route.abort())
                  if not route.request.url.startswith("http://127.0.0.1") else route.continue_())
    page = context.new_page()
    yield page
    assert outside == [], f"the site asked for outside resources: {outside}"
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_follow_pagination_to_the_last_page(served, page):
    page.goto(served + "requests/page-1.html")
    visited = 1
    while page.locator("nav.pager a[rel=next]").count():
        page.locator("nav.pager a[rel=next]").first.click()
        visited += 1
        page.wait_for_url(f"**/requests/page-{visited}.html")
    pager = page.locator("nav.pager p").first.inner_text()
    assert pager.startswith(f"Page {visited} of {visited}")
    page.locator("nav.pager a[rel=first]").first.click()
    page.wait_for_url("**/requests/page-1.html")


def test_open_a_request_and_see_its_inference_calls(served, page):
    page.goto(served + "requests/page-1.html")
    row = page.locator("details.request").first
    calls = row.locator("table.calls")
    assert not calls.is_visible()
    row.locator("summary").click()
    assert calls.is_visible() and row.locator("table.comparison").is_visible()
    assert row.locator("table.calls tbody tr").count() >= 1
    shot(page, "requests-open-desktop")
    row.locator(".detail p a").first.click()  # the request's own page
    page.wait_for_url("**/requests/*.html")
    assert page.locator("h1").inner_text().startswith("Request")
    page.locator("main a[href*='users/']").first.click()
    page.wait_for_url("**/users/**/page-1.html")
    assert page.locator("figure.chart svg").count() == 2
    shot(page, "user-desktop")


def test_from_who_spent_what_to_a_call_in_three_clicks(served, page):
    page.goto(served)
    page.locator("table.users tbody tr th a").first.click()           # 1: the top user
    page.wait_for_url("**/users/**")
    page.locator("details.request summary").first.click()             # 2: open a request
    page.locator("details.request[open] .detail p a").first.click()   # 3: its page, with every call
    page.wait_for_url("**/requests/*.html")
    assert page.locator("table.calls tbody tr").count() >= 1
    shot(page, "request-desktop")


def test_mobile_layout_keeps_tables_in_their_box(served, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.goto(served)
    for selector in ("header", "main", "footer", ".scroll"):
        assert page.locator(selector).first.bounding_box()["width"] <= 390, selector
    shot(page, "index-mobile")
    page.goto(served + "requests/page-1.html")
    page.locator("details.request summary").first.click()
    shot(page, "requests-open-mobile")
    context.close()


def test_find_a_request_and_a_user_by_id_with_the_forms_and_javascript_off(tmp_path, browser):
    """The find forms, typed into and submitted in Chromium with JavaScript off, against `reportgen
    serve` (the route table's /requests/find?usage_id= and /users/find?user_id=) and its
    Content-Security-Policy (form-action 'self', which a redirect after a form must pass too)."""
    import threading

    from hosting import PASSWORD, USER, published_out

    from reportgen.hosting.serve import make_server

    out, htpasswd, _ = published_out(tmp_path)
    request_id = next(p.stem for p in sorted((out / "latest" / "requests").glob("*.html"))
                      if p.stem.isalnum() and not p.stem.startswith("page"))
    user_id = next(p.name for p in sorted((out / "latest" / "users").iterdir()) if p.name.isalnum())
    httpd = make_server(out, "127.0.0.1", 0, htpasswd)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    context = browser.new_context(java_script_enabled=False, http_credentials={"username": USER, "password": PASSWORD})
    try:
        page = context.new_page()
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        page.goto(base + "requests/page-1.html")
        page.fill("#find-usage-id", request_id)
        page.click("form.find:has(#find-usage-id) button")
        page.wait_for_load_state()
        assert page.url == f"{base}requests/find?usage_id={request_id}"
        assert page.locator("h1 code").first.inner_text() == request_id  # the request's own page
        shot(page, "find-request")
        page.click("nav[aria-label=Sections] >> text=Requests")  # its relative links work at this URL
        assert page.url == base + "requests/page-1.html" and page.locator("h1").inner_text() == "Requests"
        page.goto(base)
        page.fill("#find-usage-id", "no-such-request")
        page.click("form.find:has(#find-usage-id) button")
        page.wait_for_load_state()
        assert "no-such-request" in page.url and page.locator("h1").count() == 0  # a plain 404
        page.goto(base + "users/page-1.html")
        page.fill("#find-user-id", user_id)
        page.click("form.find:has(#find-user-id) button")
        page.wait_for_load_state()
        assert page.url == f"{base}users/{user_id}/page-1.html"  # redirected to the user's own URL
        assert page.locator("main p code").first.inner_text() == user_id
        shot(page, "find-user")
    finally:
        context.close()
        httpd.shutdown()
        httpd.server_close()


def test_search_with_javascript_finds_users_models_and_requests_under_the_csp(tmp_path, browser, monkeypatch):
    """search.html in Chromium with JavaScript on, served by `reportgen serve` with its
    Content-Security-Policy: Pagefind's box, its WebAssembly and index all load from the site
    (no request leaves it, no CSP violation), and a search finds a user's page, a model and the
    requests list page that holds a request id, in whichever bundle of the index it is (here one
    per list page). With JavaScript off the page still has the forms."""
    import threading

    from hosting import PASSWORD, USER, published_out

    from reportgen.hosting.serve import make_server
    from reportgen.site import search

    monkeypatch.setattr(search, "PAGES_PER_BUNDLE", 1)  # the build runs in this process (one worker)
    out, htpasswd, snapshot_id = published_out(tmp_path)
    latest = out / "latest"
    assert len(list((latest / search.FOLDER).iterdir())) == 1 + len(list((latest / "requests").glob("page-*.html")))
    user_id = next(p.name for p in sorted((latest / "users").iterdir()) if p.name.isalnum())
    last = max((latest / "requests").glob("page-*.html"), key=lambda p: int(p.stem.removeprefix("page-")))
    holding, request_id = last.name, re.findall(r"<code>([A-Za-z0-9]+)</code>", last.read_text(encoding="utf-8"))[0]
    httpd = make_server(out, "127.0.0.1", 0, htpasswd)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    context = browser.new_context(http_credentials={"username": USER, "password": PASSWORD})
    try:
        page = context.new_page()
        problems, outside = [], []
        page.on("console", lambda m: problems.append(f"{m.text} {m.location}")
                if m.type in ("error", "warning") and not m.location["url"].endswith("/favicon.ico") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

        def results(term: str, report: str = "") -> list[str]:
            page.goto(f"{base}{report}search.html?q={term}")
            page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
            return [urlsplit(link).path for link in
                    page.locator(".pagefind-ui__result-link").evaluate_all("links => links.map(a => a.href)")]

        assert f"/users/{user_id}/page-1.html" in results(user_id)
        shot(page, "search-user")
        # under a snapshot's permanent URL, results stay in that snapshot
        snapshot = f"snapshots/{snapshot_id}/"
        assert f"/{snapshot}users/{user_id}/page-1.html" in results(user_id, snapshot)
        page.click(f".pagefind-ui__result-link[href$='users/{user_id}/page-1.html']")
        assert page.url.startswith(base + snapshot) and page.locator("main p code").first.inner_text() == user_id
        assert f"/requests/{holding}" in results(request_id)

        def every(term: str) -> list[str]:
            """Every result, past the first few the box shows, through Pagefind's own API on the
            page, with every bundle of the index merged as search.js merges them."""
            return page.evaluate("""async term => {
                const bundles = document.getElementById("search").dataset.bundles.split(" ")
                    .map(bundle => new URL(bundle, window.location.href).pathname);
                const pagefind = await import(bundles[0] + "pagefind.js");
                await pagefind.options({ baseUrl: "/" });
                for (const bundle of bundles.slice(1)) await pagefind.mergeIndex(bundle, { baseUrl: "/" });
                const found = await pagefind.search(term);
                return Promise.all(found.results.map(async r => (await r.data()).url)); }""", term)

        by_model = every("gpt-4o-mini")
        assert "/" in by_model and any(url.startswith("/users/") for url in by_model)  # the model's spend, its users
        assert f"/requests/{holding}" in every(request_id)  # the merged index holds the requests bundles
        # which are found by request id only: a model's or a user's name leads to the overview
        # and the user's pages, not to every list page that holds one of their requests
        assert not any(url.startswith("/requests/") for url in by_model)
        assert all(url.startswith("/users/") for url in every(user_id))
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        results("onerror")  # the demo's hostile handles, in results' titles and excerpts: shown as text
        assert page.locator(".pagefind-ui__result-link").count() > 0 and page.locator("#search img").count() == 0
        assert problems == [] and outside == []
    finally:
        context.close()
    context = browser.new_context(java_script_enabled=False,
                                  http_credentials={"username": USER, "password": PASSWORD})
    try:
        page = context.new_page()
        page.goto(base + "search.html")
        assert page.locator("#find-usage-id").is_visible() and page.locator("#find-user-id").is_visible()
        assert page.locator(".pagefind-ui").count() == 0
    finally:
        context.close()
        httpd.shutdown()
        httpd.server_close()
