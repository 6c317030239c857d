"""Builds that reuse the previous snapshot: a request's own files (its page, its calls page, its
two JSON files) are hard-linked when the request is unchanged, as rsync --link-dest does. An
incremental build's site equals a full build of the same data file for file (provenance lines
aside); pruning never breaks a retained snapshot; a build killed mid-way leaves the previous
snapshot's shared files intact."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import call_row, usage_row, write_sqlite
from test_crash import kill_at

from reportgen import cli
from reportgen.hosting import manifest, publish
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
    """An unchanged request whose files the previous snapshot lacks is rendered whole again:
    every list equals a full build's, calls included."""
    source = tmp_path / "s.db"
    write_sqlite(source, *rows(40))
    first = build(tmp_path / "out", source)
    (first / urls.api_calls_by_usage("r5")).unlink()  # r5 cannot be linked
    source.unlink()
    write_sqlite(source, *rows(44))
    second = build(tmp_path / "out", source)
    full = build(tmp_path / "fresh", source)
    assert os.stat(first / urls.request("r5")).st_ino != os.stat(second / urls.request("r5")).st_ino
    assert os.stat(first / urls.request("r7")).st_ino == os.stat(second / urls.request("r7")).st_ino
    built = site_files(second)
    assert built == site_files(full)
    lists = "".join(text for name, text in built.items() if name.startswith("requests/page-"))
    assert "<code>c5</code>" in lists and "<code>c7</code>" in lists  # their calls, in their rows


def _marked_cache(out: Path) -> None:
    """Mark every row the render cache holds, to see which rows a build takes from it."""
    con = sqlite3.connect(out / publish.RENDER_CACHE)
    with con:
        con.execute("UPDATE rows SET html = replace(html, '</details>', '<!-- cached --></details>')")
        con.execute("UPDATE calls SET html = replace(html, '</tr>', '<!-- cached --></tr>')")
    con.close()


def test_the_rows_of_linked_requests_come_from_the_render_cache(tmp_path):
    source = tmp_path / "s.db"
    write_sqlite(source, *rows(40))
    out = tmp_path / "out"
    build(out, source)
    _marked_cache(out)
    source.unlink()
    write_sqlite(source, *rows(44, changed=True))  # 4 new requests, r3 changed
    second = build(out, source)
    built = site_files(second)
    requests = "".join(text for name, text in built.items() if name.startswith("requests/page-"))
    calls = "".join(text for name, text in built.items() if name.startswith("calls/page-"))
    # each unchanged request's row and its call's row: 39 of 44, not r3's (its key changed) nor the new ones'
    cached = {re.search(r"<code>(r\d+)</code>", row).group(1) for row in requests.split("</details>")
              if row.endswith("<!-- cached -->")}
    assert cached == {f"r{i}" for i in range(40)} - {"r3"}
    assert calls.count("<!-- cached -->") == 39 and "<code>c3</code></th><!--" not in calls
    user_pages = "".join(text for name, text in built.items() if name.startswith("users/"))
    assert user_pages.count("<!-- cached -->") == 39
    # this build's rows are the cache now: all 44, the 39 copied as they were (texts hold NULs: no LIKE)
    con = sqlite3.connect(out / publish.RENDER_CACHE)
    assert con.execute("SELECT count(*), count(key) FROM rows").fetchone() == (44, 44)
    marked = "SELECT count(*) FROM rows WHERE instr(CAST(html AS BLOB), CAST('<!-- cached -->' AS BLOB))"
    assert con.execute(marked).fetchone() == (39,)
    con.close()


@pytest.mark.parametrize("damage", ["missing", "not a database", "another schema", "no call rows", "bad row"])
def test_without_a_usable_render_cache_rows_are_rendered(tmp_path, damage):
    """The render cache only saves work: missing, damaged or lacking the rows of a request's
    calls, the build renders what it cannot copy, and its site equals a full build's."""
    source = tmp_path / "s.db"
    write_sqlite(source, *rows(40))
    out = tmp_path / "out"
    build(out, source)
    cache = out / publish.RENDER_CACHE
    if damage == "missing":
        cache.unlink()
    elif damage == "not a database":
        cache.write_bytes(b"not a database" * 1000)
    else:
        con = sqlite3.connect(cache)
        with con:
            if damage == "another schema":  # the version before kept no calls' n in its rows
                con.execute("ALTER TABLE rows DROP COLUMN calls")
            elif damage == "bad row":  # its calls' n unreadable: that task's copy fails, and it renders
                con.execute("UPDATE rows SET calls = 'not json' WHERE n = 20")
            else:
                con.execute("DELETE FROM calls WHERE instr(CAST(html AS BLOB), CAST('<code>c9</code>' AS BLOB))")
        con.close()
    source.unlink()
    write_sqlite(source, *rows(44))
    second = build(out, source)
    full = build(tmp_path / "fresh", source)
    built, expected = site_files(second), site_files(full)
    assert built == expected
    assert any("<code>c9</code>" in text for name, text in built.items() if name.startswith("calls/page-"))


def test_other_settings_render_every_request_again(tmp_path):
    source = tmp_path / "s.db"
    write_sqlite(source, *rows(12))
    first = build(tmp_path / "out", source)
    second = build(tmp_path / "out", source, "--timezone", "Europe/Paris")
    assert os.stat(first / urls.request("r0")).st_ino != os.stat(second / urls.request("r0")).st_ino


def test_a_change_to_the_rendering_code_renders_every_request_again(tmp_path, monkeypatch):
    """Same version, same templates, but other code writing the pages (as after a `git pull` in
    a checkout): nothing is linked from the previous snapshot. The key covers every module of
    the site package and every template."""
    from reportgen.site import render

    names = [name for name, _ in render.render_sources()]
    assert {f"site/{p.name}" for p in Path(render.__file__).parent.glob("*.py")} | {
        f"templates/{p.name}" for p in (Path(__file__).parents[1] / "templates").iterdir() if p.is_file()} == set(names)
    source = tmp_path / "s.db"
    write_sqlite(source, *rows(12))
    first = build(tmp_path / "out", source)
    sources = list(render.render_sources())
    changed = [(name, text + "\n# changed" if name == "site/templating.py" else text) for name, text in sources]
    monkeypatch.setattr(render, "render_sources", lambda: iter(changed))
    second = build(tmp_path / "out", source)
    assert os.stat(first / urls.request("r0")).st_ino != os.stat(second / urls.request("r0")).st_ino
    monkeypatch.setattr(render, "render_sources", lambda: iter(changed))
    third = build(tmp_path / "out", source)
    assert os.stat(second / urls.request("r0")).st_ino == os.stat(third / urls.request("r0")).st_ino


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
