"""The HTML site, read with a real HTML parser: which rows, badges, highlights and links are
where; every string from the data escaped; every internal link resolves; nothing external."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from site_fixture import HOSTILE, HOSTILE_ATTR, build_fixed_site

from reportgen.site import search, urls


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_fixed_site(tmp_path_factory.mktemp("site"), notes="**Budget** is $5.\n\n<script>bad()</script>")


def soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_one_page_of_every_type_exists(site):
    for path in [urls.INDEX, urls.users_page(1), urls.user("alice"), urls.requests_page(1), urls.request("r1"),
                 urls.calls_page(1), urls.calls_by_usage("r1"), urls.DISCREPANCIES,
                 urls.discrepancy_page("price", 1), urls.QUALITY, urls.rejected_page(1), urls.HELP]:
        assert (site / path).is_file(), path


def test_requests_rows_are_collapsibles_with_calls_and_comparison(site):
    page = soup(site, urls.requests_page(1))
    rows = page.select("details.request")
    assert len(rows) == 2  # page_size
    newest = rows[0]  # the synthetic request of call c6, no usage_id, 2026-10-04 09:00 UTC
    assert "2026-10-04 11:00:00 CEST" in newest.summary.get_text()  # shown in Europe/Paris
    assert newest.select_one("summary abbr.badge").get_text() == "I"
    assert "inference" in newest.summary.get_text() and "⚠ orphan" in newest.summary.get_text()
    assert [td.get_text() for td in newest.select("table.calls tbody th")] == ["c6"]


def test_discrepancies_highlighted_by_colour_and_text(site):
    page = soup(site, urls.request("r3"))  # price 0.9 recorded, calls sum to 0.0015
    assert [f.get_text(strip=True) for f in page.select(".discrepancies .flag")] == ["⚠ price"]
    differing = page.select("table.comparison tr.differs")
    assert [tr.th.get_text() for tr in differing] == ["Price (USD)"]
    assert differing[0].select_one("strong.flag").get_text() == "⚠ differs"
    tokens = soup(site, urls.request("r2")).select("table.comparison tr.differs th")
    assert [th.get_text() for th in tokens] == ["Output tokens"]


def test_mixed_request_shows_which_figures_came_from_inference(site):
    page = soup(site, urls.request("r4"))  # only input_tokens recorded
    states = {tr.th.get_text(): tr.select("td")[-1].get_text() for tr in page.select("table.comparison tbody tr")}
    assert states == {"Input tokens": "matches", "Output tokens": "inference used",
                      "Cache read tokens": "inference used", "Cache write tokens": "inference used",
                      "Price (USD)": "inference used"}
    assert page.select_one("h1 abbr.badge")["title"] == "Figures come partly from inference data"


def test_user_summary_rows_badges_and_links(site):
    index = soup(site, urls.INDEX)
    rows = index.select("table.users tbody tr")
    assert [r.th.a.get_text() for r in rows] == [HOSTILE, "Alice"]  # highest spend first, page_size 2
    assert index.select_one(".legend abbr.badge")
    hostile_row = rows[0]
    assert hostile_row.th.a["href"] == "users/bob/page-1.html"
    assert "mixed" in hostile_row.select("td")[-1].get_text()


def test_pager_on_a_middle_page(site):
    page = soup(site, urls.requests_page(2))
    pager = page.select_one("nav.pager")
    assert "Page 2 of 4" in pager.p.get_text() and "8 rows" in pager.p.get_text()
    links = {a["rel"][0]: a["href"] for a in pager.select("a")}
    assert links == {"first": "page-1.html", "prev": "page-1.html", "next": "page-3.html", "last": "page-4.html"}
    first = soup(site, urls.requests_page(1)).select_one("nav.pager")
    assert [s.get_text() for s in first.select("[aria-disabled]")] == ["« First", "‹ Previous"]


def test_user_page_lists_the_users_requests_with_chart_and_models(site):
    page = soup(site, urls.user("alice"))
    assert page.h1.get_text(strip=True).startswith("Alice")
    assert len(page.select("details.request")) == 2
    assert [th.get_text() for th in page.select("table.models tbody th")] == ["gpt-4o"]
    svg = page.select_one("figure.chart svg")
    assert svg["role"] == "img" and "4 days from 2026-10-01 to 2026-10-04" in svg["aria-label"]
    assert len(svg.select("rect.bar")) == 4  # a bar per day, the empty ones included


def test_calls_link_back_to_their_request(site):
    page = soup(site, urls.calls_page(1))
    links = [a["href"] for a in page.select("table.calls tbody a")]
    assert links and all(href.startswith("../requests/") for href in links)
    by_usage = soup(site, urls.calls_by_usage("gone"))
    assert [th.get_text() for th in by_usage.select("table.calls tbody th")] == ["c5"]


def test_discrepancy_lists_and_counts(site):
    counts = {tr.th.get_text(strip=True): tr.select("td")[1].get_text()
              for tr in soup(site, urls.DISCREPANCIES).select("table.kinds tbody tr")}
    assert counts == {"⚠ tokens": "1", "⚠ price": "1", "⚠ no calls": "1", "⚠ orphan": "2"}
    orphans = soup(site, urls.discrepancy_page("orphan", 1))
    assert [tr.select("td")[1].get_text() for tr in orphans.select("table.differences tbody tr")] == [
        "(unknown)", "carol"]  # the same size: newest first


def test_data_quality_counts_and_examples(site):
    page = soup(site, urls.QUALITY)
    reasons = [[td.get_text() for td in tr.select("td")] for tr in page.select("table.reasons tbody tr")]
    assert ["usage", "missing id", "id", "1"] in reasons and ["usage", "bad timestamp", "created_at", "1"] in reasons
    assert ["inference_calls", "bad timestamp", "created_at", "1"] in reasons
    example = page.select("table.rejected tbody tr")[0]
    assert "not a time" in example.get_text() or "later" in example.get_text()


def test_every_page_has_the_provenance_footer(site):
    own = {urls.request(i) for i in ("r1", "r2", "r3", "r4", "r5")} | {urls.calls_by_usage("r1")}
    for path in html_pages(site):
        footer = BeautifulSoup(path.read_text(), "html.parser").footer
        text = " ".join(footer.get_text().split())
        relative = path.relative_to(site).as_posix()
        if re.match(r"requests/(?!page-)|calls/by-usage/", relative):
            # a request's own pages name the snapshot they date from and nothing else of this one,
            # so that the next snapshot can share them while the request is unchanged
            assert ("This request as of snapshot 20261101T000000.000000Z-golden, from sqlite source "
                    "sqlite:fixture.db") in text, path
            assert "generated 20" not in text and "rows read" not in text, path
            own.discard(relative)
            continue
        assert "Snapshot 20261101T000000.000000Z-golden, generated 2026-11-01 01:00:00 CET" in text, path
        assert "from sqlite source sqlite:fixture.db" in text, path
        assert "usage: 8 rows read, 6 accepted, 2 rejected" in text, path
        assert "inference_calls: 8 rows read, 7 accepted, 1 rejected" in text, path
    assert own == set()


def test_data_strings_are_escaped_on_every_page(site):
    for path in html_pages(site):
        page = BeautifulSoup(path.read_text(), "html.parser")
        # the one script is search.html's Pagefind, from files of the site; none is inline
        scripts = [(tag.get("src"), tag.get_text()) for tag in page.find_all("script")]
        if path.relative_to(site).as_posix() == urls.SEARCH:
            main = search.bundle_path(search.MAIN_BUNDLE)
            assert scripts == [(main + "pagefind-ui.js", ""), (urls.SEARCH_SCRIPT, "")]
        else:
            assert scripts == [], path
        assert not page.find("img"), path
        assert not any(attr.startswith("on") for tag in page.find_all(True) for attr in tag.attrs), path
    request = soup(site, urls.request("r3"))
    assert HOSTILE in request.get_text() and HOSTILE_ATTR in request.get_text()


def test_notes_markdown_is_rendered_and_raw_html_escaped(site):
    notes = soup(site, urls.INDEX).select_one("section.notes")
    assert notes.strong.get_text() == "Budget"
    assert "<script>bad()</script>" in notes.get_text() and not notes.find("script")


def test_help_page_is_rendered_from_markdown(site):
    page = soup(site, urls.HELP)
    assert page.h1.get_text() == "How to read this report"
    assert page.select("article.help table tbody tr")


def _local_targets(path: Path, page: BeautifulSoup):
    for tag, attr in (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src")):
        for element in page.find_all(tag):
            if element.get(attr) is not None:
                yield element[attr]


def test_crawl_finds_no_broken_link_and_nothing_external(site):
    checked = 0
    for path in html_pages(site):
        page = BeautifulSoup(path.read_text(), "html.parser")
        for target in _local_targets(path, page):
            parts = urlsplit(target)
            assert not parts.scheme and not parts.netloc, f"{path}: external reference {target}"
            if not parts.path:
                continue
            resolved = (path.parent / unquote(parts.path)).resolve()
            assert resolved.is_file(), f"{path.relative_to(site)}: broken link {target}"
            assert str(resolved).startswith(str(site.resolve()))
            checked += 1
    assert checked > 100


def test_unsafe_request_id_pages_are_reachable(site):
    page = soup(site, urls.request("a b/../c"))
    assert page.h1.code.get_text() == "a b/../c"
    assert urls.request("a b/../c").startswith("requests/~")


def test_the_api_page_documents_every_file_and_links_the_real_ones(site):
    from bs4 import BeautifulSoup

    from reportgen.site import urls as site_urls

    page = site / site_urls.API_DOCS
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    text = soup.get_text()
    for name in ("api/meta.json", "api/long-ids.json", "api/user-summary/page-N.json", "api/requests/page-N.json",
                 "api/requests/<id>.json", "api/inference-calls/page-N.json",
                 "api/inference-calls/by-usage/<id>.json", "usage_over_inference", "difference", "?usage_id=",
                 site_urls.CSV_REQUESTS, site_urls.CSV_REJECTED, "discrepancies-<kind>.csv"):
        assert name in text, name
    for a in soup.select("article a[href]"):
        href = a["href"]
        if not href.startswith(("http", "#", "mailto:")) and "<" not in href:
            assert (site / href).is_file(), href
