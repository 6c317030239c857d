"""Snapshot (analysis tables) -> a folder holding the site and its static JSON API.

Work is cut into tasks (a range of pages or of requests) that two processes run in parallel,
each streaming its rows from the read-only snapshot, so memory does not grow with the data."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from . import pages, urls
from .config import Config
from .paginate import Page
from .snapshot import connect

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PAGES_PER_TASK = 50
REQUESTS_PER_TASK = 5000


class OutputError(Exception):
    """The output folder cannot be written as asked (a path outside it, or written twice)."""


class SiteWriter:
    """Writes files below one root: refuses any path outside it and any path written twice."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self._made: set[Path] = set()
        self.count = 0

    def write(self, relative: str, text: str) -> None:
        parts = relative.split("/")
        if relative.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in relative or "\0" in relative:
            raise OutputError(f"refusing to write outside the output folder: {relative!r}")
        path = self.root.joinpath(*parts)
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        try:
            with open(path, "x", encoding="utf-8") as f:
                f.write(text)
        except FileExistsError:
            raise OutputError(f"refusing to write {relative} twice") from None
        self.count += 1


# --- Jinja2 -----------------------------------------------------------------------------------

def template_environment(timezone: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    zone = ZoneInfo(timezone)
    env.filters["usd"] = format_usd
    env.filters["count"] = format_count
    env.filters["when"] = lambda iso: format_time(iso, zone)
    env.globals["link"] = urls.link
    env.globals["urls"] = urls
    return env


def format_usd(value: Decimal | int | None) -> str:
    if value is None:
        return "—"
    amount = Decimal(value)
    if amount != 0 and abs(amount) < Decimal("0.01"):
        text = f"{amount:.6f}".rstrip("0")
        return "$" + (text if not text.endswith(".") else text + "00")
    return f"${amount:,.2f}"


def format_count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def format_time(iso: str | None, zone: ZoneInfo) -> str:
    if iso is None:
        return "—"
    moment = datetime.fromisoformat(iso).astimezone(zone)
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


# --- tasks ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    kind: str  # "list" (pages of a list) or "requests" (one file per request)
    name: str  # list name for "list"
    start: int
    stop: int
    pages: tuple[Page, ...] = ()


@dataclass(frozen=True)
class RenderSettings:
    db_path: str
    root: str
    page_size: int
    timezone: str


def plan(settings: RenderSettings) -> list[Task]:
    con = connect(Path(settings.db_path), read_only=True)
    try:
        tasks: list[Task] = []
        for name in pages.LISTS:
            all_pages = pages.list_pages(con, name, settings.page_size)
            for i in range(0, len(all_pages), PAGES_PER_TASK):
                chunk = tuple(all_pages[i:i + PAGES_PER_TASK])
                tasks.append(Task("list", name, chunk[0].start, chunk[-1].stop, chunk))
        total = pages.list_total(con, "requests")
        for start in range(0, total, REQUESTS_PER_TASK):
            tasks.append(Task("requests", "requests", start, min(start + REQUESTS_PER_TASK, total)))
        return tasks
    finally:
        con.close()


_worker_con = None


def run_task(settings: RenderSettings, task: Task) -> int:
    """Write the files of one task; returns how many. Runs in a worker process."""
    global _worker_con
    if _worker_con is None:
        _worker_con = connect(Path(settings.db_path), read_only=True)
    writer = SiteWriter(Path(settings.root))
    if task.kind == "list":
        _write_list_pages(_worker_con, writer, task)
    else:
        for request_id, request_doc, calls_doc in pages.request_documents(_worker_con, task.start, task.stop):
            writer.write(urls.api_request(request_id), request_doc)
            writer.write(urls.api_calls_by_usage(request_id), calls_doc)
    return writer.count


API_PAGE_PATHS: dict[str, Callable[[int], str]] = {
    "users": urls.api_user_page,
    "requests": urls.api_request_page,
    "calls": urls.api_call_page,
}


def _write_list_pages(con, writer: SiteWriter, task: Task) -> None:
    items = pages.page_items_json(con, task.name, task.start, task.stop)
    for page in task.pages:
        page_items = items[page.start - task.start:page.stop - task.start]
        writer.write(API_PAGE_PATHS[task.name](page.number), pages.envelope_json(page, page_items))


# --- the whole site -----------------------------------------------------------------------------

def render_site(config: Config, db_path: Path, root: Path, workers: int = 2,
                on_progress: Callable[[int], Any] | None = None) -> int:
    """Write the whole site for the snapshot at `db_path` into `root`; returns the file count."""
    settings = RenderSettings(str(db_path), str(root), config.page_size, config.timezone)
    written = _write_front_pages(config, settings)
    tasks = plan(settings)
    for count in _run_tasks(settings, tasks, workers):
        written += count
        if on_progress:
            on_progress(1)
    return written


def task_count(config: Config, db_path: Path, root: Path) -> int:
    return len(plan(RenderSettings(str(db_path), str(root), config.page_size, config.timezone)))


def _run_tasks(settings: RenderSettings, tasks: list[Task], workers: int) -> Iterable[int]:
    if workers <= 1 or len(tasks) <= 1:
        global _worker_con
        try:
            for task in tasks:
                yield run_task(settings, task)
        finally:
            if _worker_con is not None:
                _worker_con.close()
                _worker_con = None
        return
    # spawn, not fork: a forked DuckDB connection (and its threads) is not safe to use
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(run_task, [settings] * len(tasks), tasks)


def _write_front_pages(config: Config, settings: RenderSettings) -> int:
    con = connect(Path(settings.db_path), read_only=True)
    try:
        meta = pages.meta(con, config.page_size)
        context = {"meta": meta, "headline": pages.headline(con), "title": config.title, "path": urls.INDEX}
    finally:
        con.close()
    writer = SiteWriter(Path(settings.root))
    writer.write(urls.META, json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    env = template_environment(config.timezone)
    writer.write(urls.INDEX, env.get_template("index.html").render(context))
    writer.write(urls.STYLESHEET, (TEMPLATES / "style.css").read_text(encoding="utf-8"))
    return writer.count


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))
