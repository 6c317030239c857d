"""The search index stage (site/search.py) on its own: one Pagefind run per bundle of source
pages, which are removed afterwards, every file it wrote in the manifest lines, and a failure as
one line. What the index finds, merged from its bundles under the site's Content-Security-Policy,
is test_browser.py's."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import call_row, usage_row, write_sqlite

from reportgen.pipeline import build
from reportgen.site import render, search
from reportgen.site.writer import OutputError


def source(title: str, line: str) -> str:
    return (f"<html lang=en><body><main data-pagefind-body><h1>{title}</h1><p>{line}</p></main></body></html>")


def index_now(root, names, processes=2):
    """Index bundles whose source pages are all written, as render_site's Indexer does at its end."""
    indexer = search.Indexer(root, processes)
    try:
        indexer.start(names)
        return indexer.finish()
    finally:
        indexer.close()


def test_one_index_per_bundle_from_source_pages_which_are_then_removed(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    search.write_source(root, search.MAIN_BUNDLE, "users/ann/page-1.html", source("ann", "User id ann"))
    search.write_source(root, search.MAIN_BUNDLE, "index.html", source("Spend by model", "Model gpt-4o"))
    search.write_source(root, "requests-0", "requests/page-1.html", source("Requests, page 1", "Request r1"))
    index = index_now(root, [search.MAIN_BUNDLE, "requests-0"])
    assert not (root / search.SOURCE).exists()
    for bundle, pages in ((search.MAIN_BUNDLE, 2), ("requests-0", 1)):
        folder = root / search.bundle_path(bundle)
        assert (folder / "pagefind.js").is_file() and (folder / "pagefind-ui.js").is_file()
        assert len(list((folder / "fragment").iterdir())) == pages  # a fragment per source page
    listed = dict(reversed(line.split("  ", 1)) for line in index.manifest.splitlines())
    written = {p.relative_to(root).as_posix(): p for p in (root / search.FOLDER).rglob("*") if p.is_file()}
    assert sorted(listed) == sorted(written) and index.files == len(written)
    assert all(hashlib.sha256(written[name].read_bytes()).hexdigest() == digest for name, digest in listed.items())
    assert index.bytes == sum(p.stat().st_size for p in written.values())


def test_bundles_follow_the_sizes_of_the_lists(monkeypatch):
    monkeypatch.setattr(search, "PAGES_PER_BUNDLE", 2)
    monkeypatch.setattr(search, "USERS_PER_BUNDLE", 3)
    assert search.bundles(5, 7) == ["users-0", "users-1", "users-2", "requests-0", "requests-1", "requests-2"]
    assert search.bundles(1, 0) == [search.MAIN_BUNDLE, "requests-0"]  # the overview is always indexed
    assert [search.request_page_bundle(n) for n in (1, 2, 3, 5)] == ["requests-0", "requests-0", "requests-1",
                                                                      "requests-2"]
    assert [search.user_bundle(n) for n in (0, 2, 3, 6)] == ["users-0", "users-0", "users-1", "users-2"]


def test_pagefind_failing_is_one_line(tmp_path):
    (tmp_path / search.SOURCE / search.MAIN_BUNDLE).mkdir(parents=True)  # no page to index
    with pytest.raises(OutputError) as failed:
        index_now(tmp_path, [search.MAIN_BUNDLE])
    message = str(failed.value)
    assert message.startswith("Pagefind could not write the search index (users-0): Error: ") and "\n" not in message
    assert not (tmp_path / search.SOURCE).exists()


def test_bundles_indexed_two_at_a_time_each_get_their_own_pages_and_a_failure_names_its_bundle(tmp_path):
    root = tmp_path / "site"
    for n in range(4):
        search.write_source(root, f"requests-{n}", f"requests/page-{n + 1}.html", source(f"page {n}", f"Request r{n}"))
    names = [f"requests-{n}" for n in range(4)]
    index_now(root, names, processes=2)
    for name in names:
        assert len(list((root / search.bundle_path(name) / "fragment").iterdir())) == 1
    (root / search.SOURCE / "requests-9").mkdir(parents=True)  # nothing to index: Pagefind fails
    for n in (7, 8):
        search.write_source(root, f"requests-{n}", "requests/page-1.html", source("p", "Request r"))
    with pytest.raises(OutputError, match=r"\(requests-9\)"):
        index_now(tmp_path / "site", ["requests-7", "requests-9", "requests-8"], processes=2)


def test_a_bundle_is_indexed_once_its_pages_are_written_while_the_rest_renders(tmp_path, config_for, monkeypatch):
    """The requests bundles go to Pagefind as the requests tasks (phase 1) end, before any user page
    renders (phase 2); the users bundles, which the user pages write, after the last of those."""
    events = []
    start, users = search.Indexer.start, render.Worker._users

    def recorded_start(self, names):
        names = list(names)
        events.extend(("index", name) for name in names if ("index", name) not in events)
        start(self, names)

    def recorded_users(self, writer, task):
        events.append(("users", task.start))
        users(self, writer, task)

    monkeypatch.setattr(search.Indexer, "start", recorded_start)
    monkeypatch.setattr(render.Worker, "_users", recorded_users)
    monkeypatch.setattr(search, "PAGES_PER_BUNDLE", 2)
    usage = [usage_row(f"r{i}", user_id=f"u{i % 2}", created_at=f"2026-10-01T10:{i:02d}:00Z") for i in range(5)]
    db = write_sqlite(tmp_path / "source.db", usage, [call_row("c1", "r1")])
    site = build(config_for(f"sqlite://{db}", page_size=1), workers=1).path
    kinds = [kind for kind, _ in events]
    assert events[:3] == [("index", "requests-0"), ("index", "requests-1"), ("index", "requests-2")]
    assert kinds.index("users") == 3 and events[-1] == ("index", search.MAIN_BUNDLE) and kinds.count("index") == 4
    for bundle in ("requests-0", "requests-2", search.MAIN_BUNDLE):
        assert (site / search.bundle_path(bundle) / "pagefind.js").is_file()
    assert not (site / search.SOURCE).exists()


def test_closing_the_indexer_drops_runs_not_started_and_removes_the_sources(tmp_path, monkeypatch):
    """A render that fails mid-way closes its indexer: the run under way is waited for, a bundle
    still queued is never indexed, and no source page is left in the staging folder."""
    root = tmp_path / "site"
    for n in range(3):
        search.write_source(root, f"requests-{n}", "requests/page-1.html", source("p", f"Request r{n}"))
    running, index_bundle = threading.Event(), search._index_bundle

    def index_and_tell(root, bundle):
        running.set()
        index_bundle(root, bundle)

    monkeypatch.setattr(search, "_index_bundle", index_and_tell)
    indexer = search.Indexer(root, processes=1)
    indexer.start(["requests-0", "requests-1", "requests-2"])
    assert running.wait(10)
    indexer.close()
    assert (root / search.bundle_path("requests-0") / "pagefind.js").is_file()  # it was running: waited for
    assert not (root / search.bundle_path("requests-2")).exists()
    assert not (root / search.SOURCE).exists()


def _children(pid: int) -> dict[int, str]:
    """pid -> command name of the processes whose parent is `pid` (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            name, _, rest = (entry / "stat").read_text().partition(") ")
            if entry.name.isdigit() and int(rest.split()[1]) == pid:
                found[int(entry.name)] = name.partition(" (")[2]
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_build_killed_alone_takes_its_pagefind_runs_with_it(tmp_path):
    """The build process SIGKILLed on its own (as the OOM killer does), not its process group:
    its Pagefind run dies with it, as its render workers do, rather than index on into a staging
    folder the next build removes. The bundle takes Pagefind about ten seconds; it is gone in
    less than two."""
    bundle = tmp_path / search.SOURCE / "requests-0"
    bundle.mkdir(parents=True)
    for n in range(10_000):
        (bundle / f"page-{n}.html").write_text(source(f"Requests, page {n}", " ".join(
            f"Request r{n}x{i}" for i in range(100))))
    build_process = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from reportgen.site import search; "
        "search.Indexer(Path(sys.argv[1]), 1).start(['requests-0']); time.sleep(60)"), str(tmp_path)])
    try:
        deadline = time.monotonic() + 30
        while not (runs := [p for p, name in _children(build_process.pid).items() if name == "pagefind"]):
            assert time.monotonic() < deadline and build_process.poll() is None, "Pagefind never started"
            time.sleep(0.05)
        time.sleep(0.5)  # indexing: well inside its ten seconds
        assert Path(f"/proc/{runs[0]}").exists()
        build_process.kill()
        build_process.wait()
        deadline = time.monotonic() + 2
        while Path(f"/proc/{runs[0]}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        state = Path(f"/proc/{runs[0]}/stat").read_text().split(") ")[1][0] if Path(f"/proc/{runs[0]}").exists() \
            else None
        assert state in (None, "Z"), "Pagefind outlived the build"
    finally:
        build_process.kill()
        build_process.wait()
