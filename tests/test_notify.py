"""`reportgen email`: a multipart message with the headline figures and the permanent link,
sent to a real SMTP server on loopback (aiosmtpd) or written to an .eml file."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from html.parser import HTMLParser

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from helpers import usage_row, write_sqlite

from reportgen import cli
from reportgen.hosting import publish

BASE = "https://reports.example.com/llm"


class HtmlTables(HTMLParser):
    """The text of each cell of each <table>, row by row."""

    def __init__(self):
        super().__init__()
        self.tables, self.cell = [], None

    @classmethod
    def of(cls, html: str) -> list[list[list[str]]]:
        parser = cls()
        parser.feed(html)
        return parser.tables

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


@pytest.fixture
def out(tmp_path):
    db = write_sqlite(tmp_path / "s.db", [usage_row("r1", price="1.25", handle="<b>Ann</b>"),
                                          usage_row("r2", user_id="u2", created_at="2026-10-05T00:00:00Z",
                                                    price="0.5")], [])
    runner = CliRunner()
    out = tmp_path / "out"
    assert runner.invoke(cli.main, ["build", "--source", f"sqlite://{db}", "--out", str(out)]).exit_code == 0
    return out


@pytest.fixture
def smtp_server():

    class Capture:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    handler = Capture()
    with socket.socket() as probe:  # aiosmtpd's readiness check cannot use port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, handler
    controller.stop()


def test_message_sent_over_smtp_has_both_parts_and_the_link(out, smtp_server):
    controller, handler = smtp_server
    result = CliRunner().invoke(cli.main, [
        "email", "--out", str(out), "--to", "ops@example.com", "--to", "cfo@example.com", "--base-url", BASE,
        "--from", "reports@example.com", "--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port)])
    assert result.exit_code == 0, result.stderr
    for _ in range(50):
        if handler.messages:
            break
        time.sleep(0.05)
    (envelope,) = handler.messages
    assert sorted(envelope.rcpt_tos) == ["cfo@example.com", "ops@example.com"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "LLM usage report: 2026-10-01 to 2026-10-05, $1.75 spent"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"{BASE}/snapshots/{publish.latest_id(out)}/"
    assert link in text
    assert f'href="{link}"' in html  # a link to click, not text to copy
    assert "**Spend: $1.75**" in text and "<strong>Spend: $1.75</strong>" in html
    assert "&lt;b&gt;Ann&lt;/b&gt;" in html and "<b>Ann</b>" not in html  # data is escaped
    assert "This is the first snapshot of this report" in text
    # the figures are a real HTML table (not paragraphs of pipes), the top users one too
    tables = HtmlTables.of(html)
    assert ["Input tokens", "0"] in tables[0] and len(tables) == 2
    assert tables[1][1:] == [["<b>Ann</b>", "$1.25", "1"], ["u2", "$0.50", "1"]]
    assert "|" not in html.split("<body>")[1]


def test_change_since_the_previous_snapshot(out, tmp_path):
    db = write_sqlite(tmp_path / "s2.db", [usage_row("r1", price="3")], [])
    assert CliRunner().invoke(cli.main, ["build", "--source", f"sqlite://{db}", "--out", str(out)]).exit_code == 0
    result = CliRunner().invoke(cli.main, ["email", "--out", str(out), "--to", "a@example.com", "--base-url", BASE,
                                           "--eml", str(tmp_path / "m.eml")])
    assert result.exit_code == 0, result.stderr
    message = email.message_from_bytes((tmp_path / "m.eml").read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "- spend +$1.25 (from $1.75 to $3.00)\n- requests: 0 new, 1 changed, 1 removed\n" in text
    changes = HtmlTables.of(html)[1]  # figures, change per user, top users
    assert changes == [["User", "Spend change", "Now"], ["u1", "+$1.75", "$3.00"], ["u2", "-$0.50", "$0.00"]]


@pytest.mark.parametrize("base_url, message", [
    ("http://reports.example.com", "must be an https:// URL"),
    ("https://user:pw@reports.example.com", "must not carry credentials"),
    ("https://reports.example.com/?token=abc", "must not carry credentials"),
])
def test_unsafe_base_urls_are_refused(out, tmp_path, base_url, message):
    result = CliRunner().invoke(cli.main, ["email", "--out", str(out), "--to", "a@example.com", "--base-url",
                                           base_url, "--eml", str(tmp_path / "m.eml")])
    assert result.exit_code == cli.EXIT_NOTIFY and message in result.stderr
    assert not (tmp_path / "m.eml").exists()


def test_unreachable_smtp_server_is_one_line_and_no_password(out, monkeypatch):
    monkeypatch.setenv("REPORTGEN_SMTP_PASSWORD", "hunter2")
    result = CliRunner().invoke(cli.main, ["email", "--out", str(out), "--to", "a@example.com", "--base-url", BASE,
                                           "--smtp-host", "127.0.0.1", "--smtp-port", "1", "--smtp-user", "me"])
    assert result.exit_code == cli.EXIT_NOTIFY
    assert "cannot send mail through 127.0.0.1:1" in result.stderr and "hunter2" not in result.stderr
