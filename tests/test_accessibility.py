"""Every page type in a real headless Chromium at 1400 and 390 px, light and dark: axe-core
(npm `axe-core`, installed by .ci/run into .ci/node_modules, or REPORTGEN_AXE_CORE) reports no
serious or critical violation; the users table shows every column at 1400 px without sideways
scrolling; request pages fit 390 px; the first thing a keyboard reaches is a skip link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, served  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration

AXE = Path(os.environ.get("REPORTGEN_AXE_CORE")
           or Path(__file__).resolve().parent.parent / ".ci" / "node_modules" / "axe-core" / "axe.min.js")
PAGE_TYPES = {
    "index": "index.html", "users": "users/page-1.html", "user": None, "requests": "requests/page-1.html",
    "request": None, "calls": "calls/page-1.html", "calls by usage": None,
    "discrepancies": "discrepancies/index.html", "discrepancy list": "discrepancies/price/page-1.html",
    "changes": "changes.html", "quality": "quality/index.html", "rejected": "quality/page-1.html",
    "help": "help.html", "api": "api.html", "months": "months.html", "search": "search.html",
}


@pytest.fixture(scope="module")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    if not AXE.is_file():
        pytest.skip(f"axe-core not found at {AXE} (cd .ci && npm install)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def urls_of(served, chromium):  # noqa: F811
    """Page type -> an absolute URL of one such page (found by following the site's own links)."""
    page = chromium.new_page()
    page.goto(served + "requests/page-1.html")
    request = page.locator("details.request .detail p a").first.get_attribute("href")
    page.goto(served + "users/page-1.html")
    user = page.locator("table.users tbody tr th a").first.get_attribute("href")
    page.close()
    found = {name: served + path for name, path in PAGE_TYPES.items() if path}
    found["request"] = served + "requests/" + request.removeprefix("../requests/")
    found["calls by usage"] = found["request"].replace("/requests/", "/calls/by-usage/")
    found["user"] = served + "users/" + user.removeprefix("../users/")
    return found


def _context(chromium, width: int, scheme: str):
    return chromium.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme,
                                is_mobile=width < 500, has_touch=width < 500)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1400, 390])
def test_axe_finds_no_serious_violation(chromium, urls_of, width, scheme):
    context = _context(chromium, width, scheme)
    page = context.new_page()
    found = {}
    for name, url in urls_of.items():
        page.goto(url)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
                   for v in result["violations"] if v["impact"] in ("serious", "critical")]
        if serious:
            found[name] = serious
    context.close()
    assert found == {}


def test_users_table_shows_every_column_at_1400px(chromium, urls_of):
    context = _context(chromium, 1400, "light")
    page = context.new_page()
    for name in ("users", "index"):
        page.goto(urls_of[name])
        box = page.locator("table.users").first.evaluate(
            "t => [t.scrollWidth, t.closest('.scroll') ? t.closest('.scroll').clientWidth : t.scrollWidth]")
        assert box[0] <= box[1], f"{name}: the users table is {box[0]} px wide in a {box[1]} px box"
        # First and Last seen stay on one line each
        heights = page.locator("table.users tbody tr").first.evaluate(
            "tr => [...tr.cells].map(c => c.getBoundingClientRect().height)")
        assert max(heights) < 60, heights
    context.close()


def test_request_pages_fit_390px(chromium, urls_of):
    context = _context(chromium, 390, "light")
    page = context.new_page()
    for name in ("request", "calls by usage", "requests"):
        page.goto(urls_of[name])
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} page is {width} px wide"
    context.close()


def test_the_first_tab_stop_is_a_skip_link_to_the_content(chromium, urls_of):
    context = _context(chromium, 1400, "light")
    page = context.new_page()
    page.goto(urls_of["request"])
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.textContent, document.activeElement.getAttribute('href')]")
    assert focused == ["Skip to content", "#main"]
    assert page.locator("main#main").count() == 1
    context.close()
