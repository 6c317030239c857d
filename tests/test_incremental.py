"""Builds that reuse the previous snapshot: a request's own files (its page, its calls page, its
two JSON files) are hard-linked when the request is unchanged, as rsync --link-dest does. An
incremental build's site equals a full build of the same data file for file (provenance lines
aside); pruning never breaks a retained snapshot; a build killed mid-way leaves the previous
snapshot's shared files intact."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from click.testing import CliRunner
from helpers import call_row, usage_row, write_sqlite
from test_crash import kill_at

from reportgen import cli
from reportgen.hosting import manifest
from reportgen.site import search, urls

PROVENANCE = [re.compile(r"<footer>.*?</footer>", re.S)]
NOT_COMPARED = {"api/meta.json", "api/changes.json", "changes.html", "manifest.sha256", "snapshot.duckdb"}


def rows(n: int, changed: bool = False) -> tuple[list[dict], list[dict]]:
    usage, calls = [], []
    for i in range(n):
        at = f"2026-10-{1 + i % 28:02d}T10:{i % 60:02d}:00Z"
        price = "0.5" if changed and i == 3 else "0.25"
        usage.append(usage_row(f"r{i}", at, f"u{i % 5}", model="gpt-4o", input_tokens=10, price=price))
        calls.append(call_row(f"c{i}", f"r{i}", at, user_id=f"u{i % 5}", input_tokens=10, price="0.25"))
    return usage, calls


def build(out: Path, source: Path, *extra: str) -> Path:
    result = CliRunner().invoke(cli.main, ["build", "--source", f"sqlite://{source}", "--out", str(out),
                                           "--page-size", "10", *extra])
    assert result.exit_code == 0, result.output
    return out / "snapshots" / os.readlink(out / "latest").split("/")[-1]


def site_files(site: Path) -> dict[str, str]:
    files = {}
    for path in site.rglob("*"):
        relative = path.relative_to(site).as_posix()
        if path.is_file() and relative.startswith(search.FOLDER + "/"):  # the search index: bytes, no provenance
            files[relative] = path.read_bytes()
        elif path.is_file() and not relative.endswith(".gz") and relative not in NOT_COMPARED:
            text = path.read_text(encoding="utf-8")
            for pattern in PROVENANCE:
                text = pattern.sub("", text)
            files[relative] = text
    return files


def test_an_incremental_build_equals_a_full_build(tmp_path):
    source = tmp_path / "s.db"
    write_sqlite(source, *rows(40))
    first = build(tmp_path / "out", source)
    source.unlink()
    write_sqlite(source, *rows(44, changed=True))  # 4 new requests, r3 changed
    second = build(tmp_path / "out", source)
    full = build(tmp_path / "fresh", source)
    assert site_files(second) == site_files(full)
    assert manifest.verify(second) == []

    def shared(relative: str) -> bool:
        return os.stat(first / relative).st_ino == os.stat(second / relative).st_ino

    for request_id, expected in (("r0", True), ("r39", True), ("r3", False)):
        for relative in (urls.request(request_id), urls.api_request(request_id), urls.calls_by_usage(request_id),
                         urls.api_calls_by_usage(request_id)):
            assert shared(relative) is expected, relative
    assert not (first / urls.request("r40")).exists() and (second / urls.request("r40")).is_file()
    # a shared page names the snapshot it dates from, and only that
    page = (second / urls.request("r0")).read_text(encoding="utf-8")
    assert f"This request as of snapshot <code>{first.name}</code>" in page and second.name not in page
    assert second.name in (second / urls.request("r3")).read_text(encoding="utf-8")
    # lists and the index are always written again
    assert not shared(urls.INDEX) and not shared(urls.requests_page(1))


def test_a_damaged_previous_snapshot_still_gives_the_full_lists(tmp_path):
    """An unchanged request whose files the previous snapshot lacks is rendered whole again; one
    whose page there lacks the fragment markers keeps that page, and its list rows are rendered
    from its data: every list equals a full build's, calls included."""
    source = tmp_path / "s.db"
    write_sqlite(source, *rows(40))
    first = build(tmp_path / "out", source)
    (first / urls.api_calls_by_usage("r5")).unlink()  # r5 cannot be linked
    page = first / urls.request("r7")
    text = page.read_text(encoding="utf-8").replace("<!-- calls -->", "").replace("<!-- /calls -->", "")
    page.unlink()  # a new file, not a write into the old one
    page.write_text(text, encoding="utf-8")
    source.unlink()
    write_sqlite(source, *rows(44))
    second = build(tmp_path / "out", source)
    full = build(tmp_path / "fresh", source)
    assert os.stat(first / urls.request("r5")).st_ino != os.stat(second / urls.request("r5")).st_ino
    assert os.stat(first / urls.request("r7")).st_ino == os.stat(second / urls.request("r7")).st_ino
    built, expected = site_files(second), site_files(full)
    assert built.pop(urls.request("r7")) != expected.pop(urls.request("r7"))
    assert built == expected
    lists = "".join(text for name, text in built.items() if name.startswith("requests/page-"))
    assert "<code>c5</code>" in lists and "<code>c7</code>" in lists  # their calls, in their rows


def test_calls_whose_rows_cannot_be_read_back_are_rendered_for_the_calls_list(tmp_path):
    """A linked request's call rows come back from its page's calls table; where that table does
    not read back (here its price cells lost their class), the calls list renders them instead,
    and its pages still equal a full build's."""
    source = tmp_path / "s.db"
    write_sqlite(source, *rows(40))
    first = build(tmp_path / "out", source)
    page = first / urls.request("r9")
    head, calls = page.read_text(encoding="utf-8").split("<!-- calls -->")
    assert calls.count('<td class="num">$0.250000</td>') == 1  # its price (its expected price: unpriced)
    page.unlink()  # a new file, not a write into the old one
    page.write_text(head + "<!-- calls -->" + calls.replace('<td class="num">$0.250000</td>', "<td>$0.250000</td>"),
                    encoding="utf-8")
    source.unlink()
    write_sqlite(source, *rows(44))
    second = build(tmp_path / "out", source)
    full = build(tmp_path / "fresh", source)
    built, expected = site_files(second), site_files(full)
    calls_pages = [name for name in expected if name.startswith("calls/page-")]
    assert len(calls_pages) == 5
    assert {name: built[name] for name in calls_pages} == {name: expected[name] for name in calls_pages}
    assert any("<code>c9</code>" in expected[name] for name in calls_pages)


def test_other_settings_render_every_request_again(tmp_path):
    source = tmp_path / "s.db"
    write_sqlite(source, *rows(12))
    first = build(tmp_path / "out", source)
    second = build(tmp_path / "out", source, "--timezone", "Europe/Paris")
    assert os.stat(first / urls.request("r0")).st_ino != os.stat(second / urls.request("r0")).st_ino


def test_pruning_and_killed_builds_leave_retained_snapshots_whole(tmp_path):
    source = tmp_path / "s.db"
    write_sqlite(source, *rows(30))
    out = tmp_path / "out"
    first = build(out, source)
    second = build(out, source, "--keep", "1")  # links from the first, then prunes it
    assert not first.exists()
    assert manifest.verify(second) == []
    assert os.stat(second / urls.request("r0")).st_nlink == 1  # its only name now
    # killed after linking every request's files from `second`, before publishing
    kill_at(f"sqlite://{source}", out, "before-rename")
    assert manifest.verify(second) == []
    third = build(out, source)  # removes the killed build's folder, links from `second` again
    assert manifest.verify(second) == [] and manifest.verify(third) == []
    assert json.loads((third / "api" / "changes.json").read_text())["previous"] == second.name
