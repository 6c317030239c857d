"""What each page of the site is given: one dataclass per page type, each field with its meaning.

Templates read only what their context declares (datasette documents its template contexts
the same way); tests/test_contexts.py renders every page type and fails when a template uses
a name its context lacks, or a context has a field no template uses. Rows are plain data
(dicts, lists, Decimals, ISO strings) parsed from the API's JSON: never a database handle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from . import urls
from .paginate import Page

TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
FIGURES = (*TOKENS, "price")
FIGURE_LABELS = {"input_tokens": "Input tokens", "output_tokens": "Output tokens",
                 "cache_read_tokens": "Cache read tokens", "cache_write_tokens": "Cache write tokens",
                 "price": "Price (USD)"}
DISCREPANCY_KINDS = {
    "tokens": "a token count in usage differs from the sum over its inference calls",
    "price": "the usage price differs from the sum over its inference calls by more than the tolerance",
    "no_calls": "a usage row with no inference calls at all",
    "orphan": "inference calls whose usage row is missing (shown as a synthetic request)",
}
# what a discrepancy list is sorted by, and totalled: the size of each discrepancy
DISCREPANCY_SIZES = {
    "tokens": "token difference, |usage - inference| over the four token columns",
    "price": "price difference, |usage - inference|",
    "no_calls": "usage price charged with no inference call behind it",
    "orphan": "inference price spent with no usage row",
}
# the likely cause of a tokens or price discrepancy (sql/analysis/request_causes.sql), in words
CAUSES = {
    "other_user": "a call made for another user",
    "far_call": "a call more than an hour away from the request",
    "cache_only": "only the cache token columns differ",
    "missing_calls": "calls missing: usage counts more tokens than its calls",
    "extra_calls": "extra calls: its calls count more tokens than usage",
    "mixed_tokens": "token counts differ in both directions",
    "pricing": "tokens match but the price differs",
}
# a call that does not look like its request's (sql/analysis/api_calls.sql), in words
CALL_FLAGS = {
    "other_user": "made for another user",
    "far_from_request": "more than an hour from its request",
}
NAV = (("Overview", urls.INDEX), ("Search", urls.SEARCH), ("Users", urls.users_page(1)),
       ("Requests", urls.requests_page(1)), ("Inference calls", urls.calls_page(1)), ("Months", urls.MONTHS),
       ("Discrepancies", urls.DISCREPANCIES), ("Changes", urls.CHANGES), ("Data quality", urls.QUALITY),
       ("JSON API and CSV", urls.API_DOCS), ("How to read this report", urls.HELP))

Row = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class PageContext:
    """Every page has these (base.html and _footer.html use them)."""

    template: ClassVar[str]
    title: str  # the report's title, in <title> and the header
    meta: dict[str, Any]  # api/meta.json's content: provenance for the footer, tables' row counts
    path: str  # this page's output path; every link on it is made relative to it
    nav: tuple[tuple[str, str], ...] = NAV  # (label, output path) of each section in the header
    # on a request's own pages: the snapshot since which they are unchanged, named in a footer
    # that carries nothing else of this snapshot, so that the next snapshot can share the files
    since: str | None = None
    # the stylesheet's link and the header, footer and badge legend HTML (_header.html,
    # _footer.html, _legend.html), the same for every page of a folder with the same `since`:
    # rendered once each (render.Worker.chrome)
    chrome: dict[str, str] | None = None

    def variables(self) -> dict[str, Any]:
        """The fields as template variables (shallow: rows are not copied)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, kw_only=True)
class IndexPage(PageContext):
    template: ClassVar[str] = "index.html"
    headline: Row  # headline figures: spend, requests, users, calls, token sums, discrepancies, rejected, period
    charts: list[dict]  # spend and requests per day, as charts.bar_chart geometry
    models: list[Row]  # model_summary rows, highest spend first
    users: list[Row]  # the first page of the user summary (the top ten are listed too)
    users_pager: dict[str, Any]  # pager of the user summary's first page, linking to users/page-N.html
    notes_html: str | None  # the operator's --notes as HTML (raw HTML in them escaped), or None
    # api/months.json's month_to_date: this month so far and the same days before (None: no requests)
    month_to_date: Row | None
    budgets: list[Row]  # each [budgets] limit against the latest month's spend (queries.budgets)


@dataclass(frozen=True, kw_only=True)
class UsersPage(PageContext):
    template: ClassVar[str] = "users.html"
    rows: list[Row]  # user summary rows of this page
    pager: dict[str, Any]  # this page and its neighbours


@dataclass(frozen=True, kw_only=True)
class UserPage(PageContext):
    template: ClassVar[str] = "user.html"
    user: Row  # the user's summary row
    charts: list[dict]  # the user's spend and requests per day
    models: list[Row]  # models the user used: model, requests, price
    months: list[Row]  # the user's figures per calendar month (months table), oldest first
    budget: Row | None  # the user's [budgets.users] limit against the latest month's spend, or None
    causes: dict[str, Row]  # likely cause of the user's discrepancies -> requests, difference_price
    rows: list[str]  # this page of the user's requests as HTML rows (site/fragments.py), newest first
    pager: dict[str, Any]  # pages of the user's requests


@dataclass(frozen=True, kw_only=True)
class RequestsPage(PageContext):
    template: ClassVar[str] = "requests.html"
    rows: list[str]  # this page's requests as HTML rows (site/fragments.py), newest first
    pager: dict[str, Any]  # this page and its neighbours


@dataclass(frozen=True, kw_only=True)
class RequestPage(PageContext):
    template: ClassVar[str] = "request.html"
    request: Row  # one request view: the request document, its calls and its comparison rows


@dataclass(frozen=True, kw_only=True)
class CallsPage(PageContext):
    template: ClassVar[str] = "calls.html"
    rows: list[str]  # this page of inference calls as HTML rows (site/fragments.py), newest first
    pager: dict[str, Any]  # this page and its neighbours


@dataclass(frozen=True, kw_only=True)
class CallsByUsagePage(PageContext):
    template: ClassVar[str] = "calls_by_usage.html"
    request: Row  # the request view whose calls are listed (the static ?usage_id= filter)


@dataclass(frozen=True, kw_only=True)
class DiscrepanciesPage(PageContext):
    template: ClassVar[str] = "discrepancies.html"
    kinds: list[Row]  # per discrepancy kind: kind, description, requests, size (its total), size_label, net
    largest: list[Row]  # requests-list rows (with `cause`) of the largest price differences, largest first
    causes: dict[str, Row]  # likely cause -> requests, difference_price (net), over all requests
    by_model: list[Row]  # model_summary rows with a discrepancy: discrepancies, over/under, causes (cause -> counts)
    by_day: list[Row]  # days with a discrepancy: day, requests, discrepancies, over/under, causes
    model_prices: list[Row]  # per model of the calls: calls, unpriced_calls, recorded_price, expected_price, gap


@dataclass(frozen=True, kw_only=True)
class DiscrepancyListPage(PageContext):
    template: ClassVar[str] = "discrepancy_list.html"
    kind: str  # tokens | price | no_calls | orphan
    description: str  # what the kind means, in words
    summary: Row  # the whole list: requests, size (the total of the sizes), size_label, net (price only)
    rows: list[Row]  # requests-list rows (with `cause`) with this discrepancy, largest first
    pager: dict[str, Any]  # this page and its neighbours


@dataclass(frozen=True, kw_only=True)
class ChangesPage(PageContext):
    template: ClassVar[str] = "changes.html"
    document: Row  # api/changes.json parsed: previous, current, the five lists and spend
    note: str | None  # why there is no comparison (first snapshot, pruned, older version), or None
    requests: dict[str, list[Row]]  # new | removed | changed -> first rows: id, handle, previous/current price, delta
    discrepancies: dict[str, list[Row]]  # new | resolved -> first (id, kind) pairs
    users: list[Row]  # users whose spend changed, largest change first: handle, previous, current, delta
    users_changed: int  # how many users' spend changed in all
    listed: int  # at most this many rows of each list are shown; the JSON has them all


@dataclass(frozen=True, kw_only=True)
class MonthsPage(PageContext):
    template: ClassVar[str] = "months.html"
    document: Row  # api/months.json parsed, without users: timezone, months (each with its models), month_to_date


@dataclass(frozen=True, kw_only=True)
class QualityPage(PageContext):
    template: ClassVar[str] = "quality.html"
    reasons: list[Row]  # rejected rows counted by table, reason and column
    examples: list[Row]  # the first rejected rows of each table and reason, with their original values
    rejected_total: int  # how many rows were rejected in all (linked to quality/page-1.html)


@dataclass(frozen=True, kw_only=True)
class RejectedPage(PageContext):
    template: ClassVar[str] = "rejected.html"
    rows: list[Row]  # rejected rows of this page, by table and position
    pager: dict[str, Any]  # this page and its neighbours


@dataclass(frozen=True, kw_only=True)
class HelpPage(PageContext):
    template: ClassVar[str] = "help.html"
    help_html: str  # templates/help.md as HTML


@dataclass(frozen=True, kw_only=True)
class SearchPage(PageContext):
    """The find forms, and Pagefind's search box where JavaScript runs (site/search.py)."""

    template: ClassVar[str] = "search.html"
    bundles: list[str]  # the search index's bundles, as folders of the site (site/search.py)


@dataclass(frozen=True, kw_only=True)
class ApiDocsPage(PageContext):
    template: ClassVar[str] = "api.html"
    api_html: str  # templates/api.md as HTML: every API and CSV file, its fields, the URLs


PAGE_TYPES = (IndexPage, UsersPage, UserPage, RequestsPage, RequestPage, CallsPage, CallsByUsagePage,
              DiscrepanciesPage, DiscrepancyListPage, ChangesPage, MonthsPage, QualityPage, RejectedPage, HelpPage,
              ApiDocsPage, SearchPage)


def pager(page: Page, path_of: Callable[[int], str]) -> dict[str, Any]:
    """Paths (not links) of a page's neighbours; None where there is none."""
    return {
        "number": page.number, "pages": page.pages, "total": page.total,
        "first": path_of(1) if page.number > 1 else None,
        "previous": path_of(page.previous) if page.previous else None,
        "next": path_of(page.next) if page.next else None,
        "last": path_of(page.pages) if page.number < page.pages else None,
    }


def request_view(doc: Row) -> Row:
    """A request document plus its comparison rows: for each figure, the usage value, the
    inference total, their difference and whether it is flagged."""
    usage = doc.get("usage") or {}
    inference = doc["inference"]
    flagged = set(doc["discrepancies"])
    comparison = []
    for figure in FIGURES:
        recorded = usage.get(figure)
        total = inference[figure]
        if recorded is None:
            state = "inference used" if usage else "no usage row"
            differs = False
        elif inference["calls"] == 0:
            state, differs = "no calls", False
        else:
            differs = ("price" if figure == "price" else "tokens") in flagged and recorded != total
            state = "differs" if differs else ("within tolerance" if recorded != total else "matches")
        comparison.append({
            "figure": figure, "label": FIGURE_LABELS[figure], "usage": recorded, "inference": total,
            # the API's own difference (SQL): null where usage recorded nothing or there are no calls
            "difference": doc["difference"][figure], "differs": differs, "state": state,
        })
    return {**doc, "comparison": comparison}
