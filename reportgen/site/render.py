"""Snapshot (analysis tables) -> a folder holding the HTML site and its static JSON API.

The work is cut into tasks (a run of list pages, of requests, of users) that two processes run
in parallel; each task streams its rows from the read-only snapshot, so memory does not grow
with the data. HTML pages are rendered from the very JSON text the API files hold."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import multiprocessing
import multiprocessing.pool
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
from markupsafe import Markup

from .. import __version__
from ..config import Config
from ..crashpoints import stop_here
from ..ingest.connection import connect
from . import charts, contexts, exports, fragments, manifests, search, urls
from . import queries as pages
from .children import die_with_parent
from .contexts import request_view
from .fragments import FragmentStore
from .paginate import Page
from .paginate import pages as make_pages
from .templating import (
    environment,
    format_count,
    format_usd,
    format_usd_cents,
    markdown_html,
    read_template,
    template_names,
    usd_places,
)
from .writer import OutputError, SiteWriter

__all__ = ["OutputError", "render_site"]

log = logging.getLogger("reportgen")

PAGES_PER_TASK = 50
LINKED_LIST = ".linked"  # the files linked from the previous snapshot, while the render runs
REQUESTS_PER_TASK = 1000
NAV_TARGETS = frozenset(target for _, target in contexts.NAV)
CHROME_LINK_DEPTH = 1  # how deep the files the header, footer and legend link to lie (see Worker.chrome)

# list name -> (API page path, HTML page path, page context)
LIST_OUTPUTS: dict[str, tuple[Callable[[int], str] | None, Callable[[int], str], type[contexts.PageContext]]] = {
    "users": (urls.api_user_page, urls.users_page, contexts.UsersPage),
    "requests": (urls.api_request_page, urls.requests_page, contexts.RequestsPage),
    "calls": (urls.api_call_page, urls.calls_page, contexts.CallsPage),
    "rejected": (None, urls.rejected_page, contexts.RejectedPage),
}


@dataclass(frozen=True)
class RenderSettings:
    db_path: str
    root: str
    page_size: int
    timezone: str
    title: str
    notes: str | None = None  # operator's Markdown for the index page
    previous_root: str | None = None  # the previous snapshot's folder, to link unchanged files from
    cache: str | None = None  # the render cache: the previous build's rows to copy, where this build's go


@dataclass(frozen=True)
class Task:
    kind: str  # front | list | requests | users | discrepancies | exports
    name: str  # list name, discrepancy kind or export name
    start: int
    stop: int
    pages: tuple[Page, ...] = ()
    phase: int = 1  # every task of phase 1 is done before any of phase 2 starts


@dataclass(frozen=True)
class TaskResult:
    files: int
    manifest: str
    rss_mb: float
    linked: tuple[str, ...] = ()  # of files, those hard-linked from the previous snapshot


@dataclass(frozen=True)
class RenderStats:
    files: int
    tasks: int
    worker_rss_mb: float  # the largest resident size a render process reached
    linked: int = 0  # of files, how many were hard-linked from the previous snapshot
    search: search.SearchIndex | None = None  # the search index, written while and after the pages render


def peak_rss_mb() -> float:
    """This process's largest resident size so far (VmHWM). A spawned worker is a new program,
    so the mark counts the worker alone, not the build process it was started from."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


class Worker:
    """One process's connection, templates and writer."""

    def __init__(self, settings: RenderSettings):
        self.settings = settings
        self.con = connect(Path(settings.db_path), read_only=True)
        # one thread: the render's processes already keep every core busy, and DuckDB's second
        # thread doubles what a sort holds (the calls export at 1M requests: 218 MB, 140 MB with one)
        self.con.execute("SET threads = 1")
        self.env = environment(settings.timezone)
        self.meta = pages.meta(self.con, settings.page_size)
        exports.prepare(self.con)
        self.discrepancies = {kind: {**totals, "size_label": contexts.DISCREPANCY_SIZES[kind]}
                              for kind, totals in pages.discrepancy_summary(self.con).items()}
        self.user_budgets = {b["key"]: b for b in pages.budgets(self.con) if b["scope"] == "user"}
        self.comparison_template = self.env.get_template("_comparison.html")
        self.row_macro = self.env.get_template("_request_row.html").module.request_row
        self.calls_template = self.env.get_template("_calls_table.html")
        self.call_row_macro = self.env.get_template("_call_row.html").module.call_row
        self.call_markers = tuple(Markup(m) for m in (fragments.PRICE, fragments.EXPECTED, fragments.ROOT,
                                                     fragments.CELL, fragments.END))
        self.search_template = self.env.get_template("_search_source.html")
        self._store: FragmentStore | None = None
        self._chrome: dict[tuple[str, str | None, str | None], dict[str, str]] = {}

    @property
    def store(self) -> FragmentStore:
        if self._store is None:
            cache = self.settings.cache
            self._store = FragmentStore(Path(self.settings.root),
                                        Path(cache) if cache and self.settings.previous_root else None)
        return self._store

    def close(self) -> None:
        self.con.close()
        if self._store is not None:
            self._store.close()

    def with_fragments(self, request: dict[str, Any], calls: list[fragments.CallRow]) -> dict[str, Any]:
        """A request view given its comparison and calls table (of its calls' rows) as HTML (see fragments.py)."""
        request["comparison_html"] = Markup(self.comparison_template.render(request=request))
        request["calls_html"] = Markup(self.calls_template.render(rows=fragments.call_rows(calls, None),
                                                                  show_request=False))
        return request

    def call_row(self, call: dict[str, Any]) -> fragments.CallRow:
        """A call's row of the calls tables, to be pasted (see fragments.py)."""
        return fragments.CallRow(str(self.call_row_macro(call, *self.call_markers)), call["price"],
                                 call["expected_price"])

    def request_row(self, request: dict[str, Any]) -> fragments.Row:
        """A request's row of the lists, to be pasted (see fragments.py)."""
        return fragments.Row(str(self.row_macro(request, Markup(fragments.PRICE), Markup(fragments.ROOT))),
                             request["price"])

    def html(self, writer: SiteWriter, page: type[contexts.PageContext], path: str, **fields: Any) -> None:
        """Render one page from its context (`fields` are the page type's own)."""
        context = page(title=self.settings.title, meta=self.meta, path=path,
                       chrome=self.chrome(path, fields.get("since")), **fields)
        writer.write(path, self.env.get_template(page.template).render(context.variables()))

    def search_source(self, bundle: str, path: str, title: str, lines: Iterable[str]) -> None:
        """What the search index's `bundle` holds of the page at `path` (see search.py)."""
        search.write_source(Path(self.settings.root), bundle, path,
                            self.search_template.render(title=title, lines=lines))

    def chrome(self, path: str, since: str | None) -> dict[str, str]:
        """The parts every page has (and the badge legend), rendered once per kind of folder,
        section and `since`: what _header.html, _footer.html and _legend.html read of `path` is
        its folder and whether it is a section. Their links lead to files at most
        CHROME_LINK_DEPTH folders deep, so what link() makes of them depends on the folder only
        through its depth and its first CHROME_LINK_DEPTH names: every user's folder
        (users/<id>/) shares one chrome, and the cache does not grow with the number of users."""
        parts = path.split("/")[:-1]
        key = (tuple(parts[:CHROME_LINK_DEPTH]), len(parts), path if path in NAV_TARGETS else None, since)
        if key not in self._chrome:
            variables = {"title": self.settings.title, "meta": self.meta, "path": path, "nav": contexts.NAV,
                         "since": since}
            self._chrome[key] = {
                "stylesheet": urls.link(path, urls.STYLESHEET),
                "header": Markup(self.env.get_template("_header.html").render(variables)),
                "footer": Markup(self.env.get_template("_footer.html").render(variables)),
                "legend": Markup(self.env.get_template("_legend.html").render(variables)),
            }
        return self._chrome[key]

    def run(self, task: Task) -> TaskResult:
        """Write one task's files; returns how many, their manifest lines and this process's RSS."""
        writer = SiteWriter(Path(self.settings.root))
        getattr(self, f"_{task.kind}")(writer, task)
        return TaskResult(writer.count, writer.take_manifest(), peak_rss_mb(), tuple(writer.take_linked()))

    def _list(self, writer: SiteWriter, task: Task) -> None:
        items = pages.page_items_json(self.con, task.name, task.start, task.stop)
        calls = self._calls(task.start, task.stop) if task.name == "calls" else None
        for page in task.pages:
            a, b = page.start - task.start, page.stop - task.start
            if calls is not None:
                rows = fragments.call_rows(calls[a:b], urls.calls_page(page.number))
            else:
                rows = [pages.parse_item(i) for i in items[a:b]]
            self._list_page(writer, task.name, page, items[a:b], rows)

    def _calls(self, start: int, stop: int) -> list[fragments.CallRow]:
        """The rows of calls start..stop-1 of the calls list: as the requests tasks stored them,
        and rendered here for those they did not (calls of a request whose row came from the
        render cache without them)."""
        stored = self.store.calls_between(start, stop)
        if len(stored) < stop - start:
            for n, call in enumerate(pages.call_rows(self.con, start, stop), start):
                if n not in stored:
                    stored[n] = self.call_row(call)
        return [stored[n] for n in range(start, stop)]

    def _list_page(self, writer: SiteWriter, name: str, page: Page, items: list[str], rows: list[dict]) -> None:
        """One page of a list: its API file (the items' JSON text) and its HTML page (the rows)."""
        api_path, html_path, page_type = LIST_OUTPUTS[name]
        if api_path:
            writer.write(api_path(page.number), pages.envelope_json(page, items))
        self.html(writer, page_type, html_path(page.number), rows=rows, pager=contexts.pager(page, html_path))

    def _front(self, writer: SiteWriter, task: Task) -> None:
        """The overview, the summary pages and the files of the site's root."""
        con, size = self.con, self.settings.page_size
        writer.write(urls.META, json.dumps(self.meta, indent=2, ensure_ascii=False) + "\n")
        long_ids = {urls.id_stem(i): i for i in pages.long_ids(con)}
        writer.write(urls.LONG_IDS, json.dumps(long_ids, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        writer.write(urls.STYLESHEET, read_template("style.css"))
        writer.write(urls.SEARCH_SCRIPT, read_template("search.js"))
        months_json, months = pages.months(con)
        writer.write(urls.API_MONTHS, months_json)
        users_page = make_pages(pages.list_total(con, "users"), size)[0]
        users = [pages.parse_item(i) for i in pages.page_items_json(con, "users", 0, size)]
        models = pages.models(con)
        self.search_source(search.MAIN_BUNDLE, urls.INDEX, "Spend by model",
                           (f"Model {_model_name(m['model'])}" for m in models))
        self.html(writer, contexts.IndexPage, urls.INDEX, headline=pages.headline(con),
                  charts=_daily_charts(pages.daily(con)),
                  models=models, users=users, users_pager=contexts.pager(users_page, urls.users_page),
                  notes_html=markdown_html(self.settings.notes) if self.settings.notes else None,
                  month_to_date=months["month_to_date"], budgets=pages.budgets(con))
        self.html(writer, contexts.MonthsPage, urls.MONTHS, document=months)
        self.html(writer, contexts.DiscrepanciesPage, urls.DISCREPANCIES, kinds=[
            {"kind": k, "description": contexts.DISCREPANCY_KINDS[k], **summary}
            for k, summary in self.discrepancies.items()],
            largest=pages.discrepancy_requests(con, "price", 0, 10),
            causes=pages.causes(con).get(None, {}),
            by_model=_with_causes(models, "model", pages.causes(con, "model")),
            by_day=_with_causes(pages.daily_differences(con), "day", pages.causes(con, "day")),
            model_prices=pages.model_prices(con))
        changes_json, changes = pages.changes(con)
        writer.write(urls.API_CHANGES, changes_json)
        self.html(writer, contexts.ChangesPage, urls.CHANGES, **changes)
        self.html(writer, contexts.QualityPage, urls.QUALITY, reasons=pages.rejected_summary(con),
                  examples=pages.rejected_examples(con), rejected_total=pages.list_total(con, "rejected"))
        bundles = site_bundles(con, size)
        self.html(writer, contexts.SearchPage, urls.SEARCH, bundles=[search.bundle_path(b) for b in bundles])
        self.html(writer, contexts.HelpPage, urls.HELP, help_html=markdown_html(read_template("help.md")))
        self.html(writer, contexts.ApiDocsPage, urls.API_DOCS, api_html=markdown_html(read_template("api.md")))

    def _exports(self, writer: SiteWriter, task: Task) -> None:
        exports.write_export(self.con, writer, task.name)

    def _requests(self, writer: SiteWriter, task: Task) -> None:
        """A run of requests in list order: each one's own files (unless linked from the previous
        snapshot), the requests list pages they fill, and their rows for the user pages and their
        calls' rows for the calls list (copied from the render cache for a linked request)."""
        linked = self._link_unchanged(writer, task) if self.settings.previous_root else {}
        cached = self._copy_cached(task, linked) if linked else {}
        documents = enumerate(pages.request_documents(self.con, task.start, task.stop, frozenset(cached)),
                              task.start)
        for page in task.pages:
            docs, rows, put, calls = [], [], [], []
            for n, doc in islice(documents, page.stop - page.start):
                if n in cached:  # its rows are in the store already and its files linked: nothing to parse
                    rows.append(cached[n])
                else:
                    request = request_view(doc.parsed())
                    call_rows = [self.call_row(call) for call in request["calls"]]
                    self.with_fragments(request, call_rows)
                    rows.append(self.request_row(request))
                    put.append((n, doc.file_key, doc.call_ns, rows[-1]))
                    calls += zip(doc.call_ns, call_rows)
                    if n not in linked:
                        self._request_files(writer, doc, request)
                docs.append(doc)
            self.store.put(put, calls)
            self._list_page(writer, "requests", page, [d.item for d in docs],
                            fragments.page_rows(rows, urls.requests_page(page.number)))
            self.search_source(search.request_page_bundle(page.number), urls.requests_page(page.number),
                               f"Requests, page {page.number}", (f"Request {d.id}" for d in docs))

    def _copy_cached(self, task: Task, linked: dict[int, tuple[str, int]]) -> dict[int, fragments.Row]:
        """Copy the rows of the `linked` requests (n -> file key, n in the previous snapshot) and
        of their calls from the render cache into the store; n -> row of those it had."""
        call_ns = pages.call_ns(self.con, task.start, task.stop, linked)
        return self.store.copy_cached([(n, key, prev_n, call_ns.get(n, [])) for n, (key, prev_n) in linked.items()])

    def _request_files(self, writer: SiteWriter, doc: pages.Document, request: dict[str, Any]) -> None:
        writer.write(urls.api_request(doc.id), doc.request_doc)
        writer.write(urls.api_calls_by_usage(doc.id), doc.calls_doc)
        since = doc.since or self.meta["snapshot_id"]
        self.html(writer, contexts.RequestPage, urls.request(doc.id), request=request, since=since)
        self.html(writer, contexts.CallsByUsagePage, urls.calls_by_usage(doc.id), request=request, since=since)

    def _link_unchanged(self, writer: SiteWriter, task: Task) -> dict[int, tuple[str, int]]:
        """Hard-link the own files of requests unchanged since the previous snapshot; n -> (file
        key, n in the previous snapshot) of each request so linked (one whose files are not all
        there is rendered instead)."""
        previous, linked = self.settings.previous_root, {}
        for n, request_id, key, prev_n in pages.shared_requests(self.con, task.start, task.stop,
                                                                  self.meta["snapshot_id"]):
            done = []
            for relative in request_files(request_id):
                if not writer.link(relative, previous):
                    for file in done:
                        writer.unlink(file)
                    break
                done.append(relative)
            else:
                linked[n] = (key, prev_n)
        return linked

    def _users(self, writer: SiteWriter, task: Task) -> None:
        size = self.settings.page_size
        user_ids = pages.user_ids(self.con, task.start, task.stop)
        daily = pages.user_daily(self.con, user_ids)
        models_of = pages.user_models(self.con, user_ids)
        months_of = pages.user_months(self.con, user_ids)
        causes_of = pages.causes(self.con, "user", user_ids)
        users = pages.users_with_requests(self.con, task.start, task.stop, size)
        for n, (user, total, request_pages) in enumerate(users, task.start):
            uid = user["user_id"]
            chart = _daily_charts(daily.get(uid, []))
            models = models_of.get(uid, [])
            path_of = functools.partial(urls.user, uid)
            for page, ns in zip(make_pages(total, size), _at_least_one(request_pages)):
                stored = self.store.get(ns)
                rows = fragments.page_rows([stored[n] for n in ns], urls.user(uid, page.number))
                if page.number == 1:
                    self.search_source(search.user_bundle(n), urls.user(uid), user["handle"], [
                        f"User id {uid}", *(f"Model {_model_name(m['model'])}" for m in models)])
                self.html(writer, contexts.UserPage, urls.user(uid, page.number), user=user, charts=chart,
                          models=models, months=months_of.get(uid, []), budget=self.user_budgets.get(uid),
                          causes=causes_of.get(uid, {}), rows=rows,
                          pager=contexts.pager(page, path_of))

    def _discrepancies(self, writer: SiteWriter, task: Task) -> None:
        requests = pages.discrepancy_requests(self.con, task.name, task.start, task.stop)
        for page in task.pages:
            path_of = lambda n: urls.discrepancy_page(task.name, n)  # noqa: E731
            self.html(writer, contexts.DiscrepancyListPage, path_of(page.number), kind=task.name,
                      description=contexts.DISCREPANCY_KINDS[task.name], summary=self.discrepancies[task.name],
                      rows=requests[page.start - task.start:page.stop - task.start],
                      pager=contexts.pager(page, path_of))


def request_files(request_id: str) -> tuple[str, ...]:
    """The files that belong to one request alone (shared between snapshots while it is unchanged)."""
    return (urls.api_request(request_id), urls.api_calls_by_usage(request_id), urls.request(request_id),
            urls.calls_by_usage(request_id))


def render_key(config: Config) -> str:
    """What a request's own files depend on besides its data: tool version, the code that renders
    them, title and time zone (the source and tolerance are added from the snapshot,
    sql/changes/request_files.sql)."""
    digest = hashlib.sha256(f"{__version__}\0{config.title}\0{config.timezone}".encode())
    for name, text in render_sources():
        digest.update(f"\0{name}\0{text}".encode())
    return digest.hexdigest()


def render_sources() -> Iterable[tuple[str, str]]:
    """(name, text) of what makes a page's bytes: the templates and this package's modules. With
    the modules, a change to how pages are written (say templating's escaping) renders every
    request again even where the version and templates are the same, as in a checkout."""
    for name in sorted(template_names()):
        yield f"templates/{name}", read_template(name)
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda entry: entry.name):
        if entry.name.endswith(".py"):
            yield f"site/{entry.name}", entry.read_text(encoding="utf-8")


def _at_least_one(request_pages: Iterable[list[int]]) -> Iterable[list[int]]:
    """A user's request pages; a user without requests still has one (empty) page."""
    empty = True
    for requests in request_pages:
        empty = False
        yield requests
    if empty:
        yield []


def site_bundles(con: duckdb.DuckDBPyConnection, page_size: int) -> list[str]:
    """The search index's bundles for this snapshot (site/search.py)."""
    return search.bundles(len(pages.list_pages(con, "requests", page_size)), pages.list_total(con, "users"))


def plan(settings: RenderSettings) -> tuple[list[Task], dict[int, list[str]]]:
    """The render's tasks, and the search index's bundles by the phase after which their source
    pages are all written: the requests bundles' by the requests tasks (phase 1), the users
    bundles' by the front task and the users tasks (phase 2)."""
    con = connect(Path(settings.db_path), read_only=True)
    try:
        # the front pages beside the longest single tasks, first: no process waits for them
        tasks = [Task("front", "", 0, 0)] + [Task("exports", name, 0, 0) for name in exports.EXPORTS]
        for name in ("users", "rejected"):  # the requests tasks write the requests list
            tasks += _page_tasks("list", name, pages.list_pages(con, name, settings.page_size))
        # whole list pages per task, about REQUESTS_PER_TASK requests each
        per_task = max(1, REQUESTS_PER_TASK // settings.page_size)
        for kind, total in pages.discrepancy_totals(con).items():  # a task holds its requests in memory
            tasks += _page_tasks("discrepancies", kind, make_pages(total, settings.page_size), per_task)
        request_pages = pages.list_pages(con, "requests", settings.page_size)
        tasks += _page_tasks("requests", "", request_pages, per_task)
        # user pages and calls list pages paste the rows the requests tasks stored: they run after all of those
        tasks += [replace(task, phase=2) for task in _user_tasks(pages.user_request_counts(con))]
        tasks += [replace(task, phase=2) for task in
                  _page_tasks("list", "calls", pages.list_pages(con, "calls", settings.page_size))]
        return tasks, {1: search.request_bundles(len(request_pages)),
                       2: search.user_bundles(pages.list_total(con, "users"))}
    finally:
        con.close()


def _page_tasks(kind: str, name: str, all_pages: list[Page], per_task: int = PAGES_PER_TASK) -> list[Task]:
    tasks = []
    for i in range(0, len(all_pages), per_task):
        chunk = tuple(all_pages[i:i + per_task])
        tasks.append(Task(kind, name, chunk[0].start, chunk[-1].stop, chunk))
    return tasks


def _user_tasks(request_counts: list[int]) -> list[Task]:
    """Runs of users holding about REQUESTS_PER_TASK requests each."""
    tasks, start, load = [], 0, 0
    for n, count in enumerate(request_counts):
        load += count
        if load >= REQUESTS_PER_TASK:
            tasks.append(Task("users", "", start, n + 1))
            start, load = n + 1, 0
    if start < len(request_counts):
        tasks.append(Task("users", "", start, len(request_counts)))
    return tasks


_worker: Worker | None = None


def run_task(settings: RenderSettings, task: Task) -> TaskResult:
    """Entry point in a worker process: one Worker per process, reused across its tasks."""
    global _worker
    if _worker is None:
        _worker = Worker(settings)
        stop_here("render-worker")
    return _worker.run(task)


def render_site(config: Config, db_path: Path, root: Path, workers: int = 2,
                progress: Callable[[int], Callable[[int], Any]] | None = None,
                notes: str | None = None, previous_root: Path | None = None,
                cache: Path | None = None) -> RenderStats:
    """Write the whole site for the snapshot at `db_path` into `root`, and its manifest (the
    sha256 of every file written). `progress(task count)` returns a callback advanced per task.
    With a `cache` (a file the build keeps beside its snapshots), the rows of requests linked
    from `previous_root` are copied from it, and this render's rows replace it (fragments.py)."""
    settings = _settings(config, db_path, root, notes, previous_root, cache)
    tasks, bundles = plan(settings)
    on_progress = progress(len(tasks)) if progress else None
    peak, linked = 0.0, 0
    manifest = _Manifest(root / urls.MANIFEST)
    linked_list = open(root / LINKED_LIST, "x", encoding="utf-8")
    indexer = search.Indexer(root, workers)
    try:
        FragmentStore.create(root)
        written = 0
        # a bundle's Pagefind run starts once its phase is done, while the next one renders
        for result in _run_tasks(settings, tasks, workers, lambda phase: indexer.start(bundles.get(phase, ()))):
            written += result.files
            linked += len(result.linked)
            if result.linked:
                linked_list.write("".join(f"{p}\n" for p in result.linked))
            peak = max(peak, result.rss_mb)
            manifest.append(result.manifest)
            if on_progress:
                on_progress(1)
        indexer.start(name for names in bundles.values() for name in names)  # any of a phase without tasks
        index = indexer.finish()
        manifest.append(index.manifest)
        written += index.files
        if cache is not None:
            fragments.keep_as_cache(root, cache)
    finally:
        indexer.close()
        manifest.close()
        linked_list.close()
        fragments.remove(root)
    if linked:
        manifests.copy_lines(Path(previous_root), root, root / LINKED_LIST, linked)
    (root / LINKED_LIST).unlink()
    return RenderStats(written, len(tasks), peak, linked, index)


class _Manifest:
    """The manifest file, whose own writes (and final flush) can hit a full disk too."""

    def __init__(self, path: Path):
        self.path = path
        self.file = self._guard(lambda: open(path, "x", encoding="utf-8"))

    def _guard(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except OSError as e:
            raise OutputError(f"cannot write {self.path}: {e.strerror}") from None

    def append(self, lines: str) -> None:
        self._guard(lambda: self.file.write(lines))

    def close(self) -> None:
        self._guard(self.file.close)


def _settings(config: Config, db_path: Path, root: Path, notes: str | None,
              previous_root: Path | None = None, cache: Path | None = None) -> RenderSettings:
    return RenderSettings(str(db_path), str(root), config.page_size, config.timezone, config.title, notes,
                          str(previous_root) if previous_root else None, str(cache) if cache else None)


def _run_tasks(settings: RenderSettings, tasks: list[Task], workers: int,
               after_phase: Callable[[int], Any] = lambda phase: None) -> Iterable[TaskResult]:
    """Each task's result, phase by phase; after_phase(phase) is called once a phase's tasks are done."""
    phases = {phase: [task for task in tasks if task.phase == phase] for phase in sorted({t.phase for t in tasks})}
    if workers <= 1 or len(tasks) <= 1:
        worker = Worker(settings)
        try:
            for number, phase in phases.items():
                for task in phase:
                    yield worker.run(task)
                after_phase(number)
        finally:
            worker.close()
        return
    # spawn, not fork: a forked DuckDB connection (and its threads) is not safe to use
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(workers, initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        for number, phase in phases.items():
            yield from pool.imap(functools.partial(run_task, settings), phase)
            after_phase(number)
    finally:  # done, failed or interrupted: no worker finishes a task of a build that is over
        _stop(pool)


TERMINATE_SECONDS = 10


def _stop(pool: multiprocessing.pool.Pool) -> None:
    """Terminate the pool's workers, never waiting for ever: Pool.terminate() can block for good
    on a queue lock (a build on a full disk was seen stuck there in CI, its workers gone), and a
    build run by cron must end. After TERMINATE_SECONDS the workers are killed and the build
    goes on; the stuck terminate is left in a daemon thread."""
    stopper = threading.Thread(target=pool.terminate, name="reportgen-pool-stop", daemon=True)
    stopper.start()
    stopper.join(TERMINATE_SECONDS)
    if stopper.is_alive():
        log.debug("the render's worker pool did not stop in %d s: killing its processes", TERMINATE_SECONDS)
        for process in getattr(pool, "_pool", []):  # the Pool's own list of its worker processes
            if process.exitcode is None:
                process.kill()


def _model_name(model: str | None) -> str:
    return "not recorded" if model is None else model


def _with_causes(rows: list[dict], key: str, causes: dict) -> list[dict]:
    """The rows that have a discrepancy, each with its likely causes counted."""
    return [{**row, "causes": causes.get(row[key], {})} for row in rows if row["discrepancies"]]


def _daily_charts(points: list[dict]) -> list[dict]:
    """The daily charts, amounts exact with the same decimals for every day."""
    places = usd_places(p["price"] for p in points)
    return charts.daily_charts(points, lambda v: format_usd(v, places), format_count, format_usd_cents)


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))
