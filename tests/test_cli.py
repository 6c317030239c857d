"""cli.py: every command, every error path: one line on stderr, a documented exit code, and the
published report left as it was."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from helpers import call_row, usage_row, write_sqlite

from reportgen import cli
from reportgen.hosting import publish
from reportgen.ingest import connection, snapshot
from reportgen.site import render
from reportgen.sql import analyse

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def run(tmp_path):
    def invoke(*args: str):
        return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)
    return invoke


@pytest.fixture
def published(tmp_path, run):
    """OUT with one good snapshot; returns (out, source url, snapshot id)."""
    db = write_sqlite(tmp_path / "good.db", [usage_row("r1", price="1")], [call_row("c1", "r1", price="1")])
    out = tmp_path / "out"
    result = run("build", "--source", f"sqlite://{db}", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    return out, f"sqlite://{db}", publish.latest_id(out)


def all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_every_command_has_help_and_is_documented():
    readme = README.read_text()
    for path, command in all_commands(cli.main):
        assert command.help, path
        assert f"reportgen {' '.join(path)}" in readme, f"README does not document {' '.join(path)}"


def exit_code_table(text: str) -> str:
    return text[text.index("| code | meaning |"):].split("\n\n")[0].strip()


def test_exit_codes_are_documented():
    readme = README.read_text()
    reference = (README.parent / "docs" / "reference.md").read_text()
    assert exit_code_table(readme) == exit_code_table(reference)
    for name, value in vars(cli).items():
        if name.startswith("EXIT_"):
            assert re.search(rf"^\| *`?{value}`? *\|", readme, re.M), f"exit code {value} ({name}) not in README"


def test_build_is_quiet_on_success_when_not_on_a_terminal(published, run, monkeypatch, capfd):
    out, source, _ = published
    real_connect, bars = connection.connect, []

    def checked_connect(*args, **kwargs):  # DuckDB draws its bar on stdout, terminal or not
        con = real_connect(*args, **kwargs)
        bars.append(con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0])
        return con

    for module in (connection, snapshot, analyse, render):
        monkeypatch.setattr(module, "connect", checked_connect)
    capfd.readouterr()
    result = run("build", "--source", source, "--out", str(out), "--workers", "1")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert capfd.readouterr() == ("", "")  # nothing on the real stdout and stderr either
    assert bars and not any(bars)


def test_verbose_build_says_what_it_did(published, run, caplog):
    out, source, _ = published
    result = run("build", "--source", source, "--out", str(out), "--verbose")
    assert result.exit_code == 0
    assert "usage: 1 rows read, 1 accepted, 0 rejected" in result.stderr
    # how long each stage took, to tell which one a slow nightly build spends its time in
    said = [r.getMessage() for r in caplog.records if r.name == "reportgen"]
    for stage in ("snapshot taken in", "analysed in", "compared in"):
        assert any(re.fullmatch(rf"{stage} \d+\.\d s", line) for line in said), (stage, said)
    assert any(re.match(r"rendered \d+ files in \d+ tasks in \d+\.\d s ", line) for line in said), said
    assert "report: " in result.stdout


def _broken_sources(tmp_path: Path) -> dict[str, tuple[str, str]]:
    no_table = tmp_path / "no_table.db"
    sqlite3.connect(no_table).execute("CREATE TABLE usage (id, created_at, user_id)").connection.commit()
    no_column = write_sqlite(tmp_path / "no_column.db", [], [], usage_columns=("id", "created_at"))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 100)
    unreadable = tmp_path / "csvs"
    unreadable.mkdir()
    (unreadable / "usage.csv").write_text('id,created_at,user_id\n1,"unterminated\n')
    (unreadable / "inference_calls.csv").write_text("id,usage_id,created_at\n")
    return {
        "missing file": (f"sqlite://{tmp_path}/nope.db", "SQLite file not found"),
        "missing table": (f"sqlite://{no_table}", "inference_calls"),
        "missing column": (f"sqlite://{no_column}", "has no column 'user_id'"),
        "unreadable file": (f"sqlite://{junk}", "file is not a database"),
        "unreadable csv": (str(unreadable), "cannot read table 'usage'"),
        "missing folder": (str(tmp_path / "nowhere"), "source not found"),
    }


@pytest.mark.parametrize("case", ["missing file", "missing table", "missing column", "unreadable file",
                                  "unreadable csv", "missing folder"])
def test_unreadable_source_is_one_line_exit_3_and_latest_untouched(tmp_path, published, run, case):
    out, _, before = published
    source, message = _broken_sources(tmp_path)[case]
    result = run("build", "--source", source, "--out", str(out))
    assert result.exit_code == cli.EXIT_SOURCE
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("reportgen: ") and message in result.stderr
    assert "Traceback" not in result.stderr
    assert publish.latest_id(out) == before
    assert publish.snapshot_ids(out) == [before]


@pytest.mark.parametrize("toml, message", [
    ("page_sise = 10\n", "unknown key 'page_sise'"),
    ("[columns.usage]\nuserid = 'x'\n", "unknown key 'userid' in [columns.usage]"),
    ("[tables]\nusages = 'x'\n", "unknown key 'usages' in [tables]"),
    ("timezone = 'Mars/Olympus'\n", "unknown timezone 'Mars/Olympus'"),
    ("page_size = 0\n", "page_size must be a whole number from 1"),
    ("price_tolerance = 'cheap'\n", "price_tolerance must be a number"),
    ("this is not toml", "is not valid TOML"),
])
def test_config_errors_exit_2_naming_the_key(tmp_path, published, run, toml, message):
    out, source, before = published
    (tmp_path / "bad.toml").write_text(toml)
    result = run("build", "--config", str(tmp_path / "bad.toml"), "--source", source, "--out", str(out))
    assert result.exit_code == cli.EXIT_USAGE, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert publish.latest_id(out) == before


def test_cli_options_override_the_config_file(tmp_path, run):
    db = write_sqlite(tmp_path / "s.db", [usage_row(f"r{i}") for i in range(5)], [])
    (tmp_path / "reportgen.toml").write_text(f"source = 'sqlite://{db}'\nout = '{tmp_path}/cfg-out'\npage_size = 2\n")
    result = run("build", "--page-size", "4")
    assert result.exit_code == 0, result.stderr
    meta = (tmp_path / "cfg-out" / "latest" / "api" / "requests" / "page-1.json").read_text()
    assert '"pages":2' in meta


def test_table_and_column_options(tmp_path, run):
    con = sqlite3.connect(tmp_path / "s.db")
    con.execute("CREATE TABLE reqs (rid, created_at, account)")
    con.execute("INSERT INTO reqs VALUES ('r1', '2026-10-01', 'acct')")
    con.execute("CREATE TABLE inference_calls (id, usage_id, created_at)")
    con.commit()
    result = run("build", "--source", f"sqlite://{tmp_path}/s.db", "--out", str(tmp_path / "o"),
                 "--table", "usage=reqs", "--column", "usage.id=rid", "--column", "usage.user_id=account")
    assert result.exit_code == 0, result.stderr
    assert '"user_id":"acct"' in (tmp_path / "o" / "latest" / "api" / "requests" / "r1.json").read_text()
    bad = run("build", "--source", f"sqlite://{tmp_path}/s.db", "--column", "usage_id=x")
    assert bad.exit_code == cli.EXIT_USAGE and "TABLE.COLUMN=NAME" in bad.stderr


def test_no_source_is_a_usage_error(run):
    result = run("build")
    assert result.exit_code == cli.EXIT_USAGE and "no source" in result.stderr


def test_busy_lock_exits_4_and_changes_nothing(published, run):
    out, source, before = published
    with publish.build_lock(out):
        result = run("build", "--source", source, "--out", str(out), "--wait", "0.2")
    assert result.exit_code == cli.EXIT_BUSY and "another build is running" in result.stderr
    assert publish.snapshot_ids(out) == [before]


def test_unwritable_out_exits_6(tmp_path, run):
    db = write_sqlite(tmp_path / "s.db", [], [])
    (tmp_path / "file").write_text("")
    result = run("build", "--source", f"sqlite://{db}", "--out", str(tmp_path / "file" / "out"))
    assert result.exit_code == cli.EXIT_OUTPUT and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("thing", ["folder", "file"])
def test_a_latest_that_is_not_our_symlink_exits_6_before_any_work(tmp_path, run, thing):
    db = write_sqlite(tmp_path / "s.db", [usage_row("r1")], [])
    out = tmp_path / "out"
    out.mkdir()
    (out / "latest").mkdir() if thing == "folder" else (out / "latest").write_text("mine")
    result = run("build", "--source", f"sqlite://{db}", "--out", str(out))
    assert result.exit_code == cli.EXIT_OUTPUT and "is not a symlink" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in out.iterdir()) == [".reportgen.lock", "latest"]  # no stray link
    assert not (out / "snapshots").exists() or not list((out / "snapshots").iterdir())


def test_demo_writes_data_and_builds(tmp_path, run):
    result = run("demo", "--rows", "60", "--out", str(tmp_path / "o"), "--data", str(tmp_path / "d.db"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "d.db").is_file()
    assert f"report: {tmp_path / 'o' / 'latest' / 'index.html'}" in result.stdout
    assert os.path.isfile(tmp_path / "o" / "latest" / "index.html")


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0 and "reportgen" in result.stdout


def test_notes_option_adds_the_operators_markdown_to_the_index(tmp_path, run):
    db = write_sqlite(tmp_path / "s.db", [usage_row("r1")], [])
    (tmp_path / "notes.md").write_text("Budget for **October**: $500.")
    result = run("build", "--source", f"sqlite://{db}", "--out", str(tmp_path / "o"), "--notes",
                 str(tmp_path / "notes.md"))
    assert result.exit_code == 0, result.stderr
    assert "<strong>October</strong>" in (tmp_path / "o" / "latest" / "index.html").read_text()
    missing = run("build", "--source", f"sqlite://{db}", "--notes", str(tmp_path / "nope.md"))
    assert missing.exit_code == cli.EXIT_USAGE and "notes file not found" in missing.stderr


def test_publish_list_rollback_and_to(published, run):
    out, source, first = published
    assert run("build", "--source", source, "--out", str(out)).exit_code == 0
    second = publish.latest_id(out)
    listing = run("publish", "--out", str(out), "--list")
    lines = [re.fullmatch(r"([ *]) (\S+)  ([\d.,]+) MB own, ([\d.,]+) MB shared", line).groups()
             for line in listing.stdout.splitlines()]
    assert [(mark, name) for mark, name, _, _ in lines] == [(" ", first), ("*", second)]
    # the same data twice: the second snapshot shares its request's files with the first
    assert publish.disk_use(out / "snapshots" / first)[1] > 0
    own, shared = publish.disk_use(out / "snapshots" / second)
    assert own > 0 and shared > 0 and float(lines[1][2]) == round(own / 2**20, 1)
    rolled = run("publish", "--out", str(out), "--rollback")
    assert rolled.exit_code == 0 and publish.latest_id(out) == first
    again = run("publish", "--out", str(out), "--rollback")
    assert again.exit_code == cli.EXIT_OUTPUT and "no snapshot older" in again.stderr
    forward = run("publish", "--out", str(out), "--to", second)
    assert forward.exit_code == 0 and publish.latest_id(out) == second
    bad = run("publish", "--out", str(out), "--to", "nope")
    assert bad.exit_code == cli.EXIT_OUTPUT and publish.latest_id(out) == second
    assert run("publish", "--out", str(out)).exit_code == cli.EXIT_USAGE
