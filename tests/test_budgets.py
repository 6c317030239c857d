"""Monthly budgets ([budgets] in reportgen.toml): each against its month's spend, on the index, the
user pages and in the e-mail, and `build --fail-on-budget` exits 8 with the report published."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from helpers import call_row, usage_row, write_sqlite

from reportgen import cli, notify
from reportgen.config import ConfigError, load_config
from reportgen.pipeline import build
from reportgen.site import urls

BUDGETS = """
[budgets]
total = 1.0
[budgets.users]
ann = 0.5
bob = "2"
[budgets.models]
"gpt-4o" = 0.7
"""


def rows():
    usage = [  # September: ann 0.9 (over her 0.5); October, the latest month: ann 0.3, bob 0.8, in all 1.1
        usage_row("s1", created_at="2026-09-10T10:00:00Z", user_id="ann", model="gpt-4o", price="0.9"),
        usage_row("o1", created_at="2026-10-02T10:00:00Z", user_id="ann", model="gpt-4o", price="0.3"),
        usage_row("o2", created_at="2026-10-05T10:00:00Z", user_id="bob", model="claude-haiku-4-5", price="0.8"),
    ]
    return usage, [call_row(f"c{u['id']}", u["id"], created_at=u["created_at"], price=u["price"]) for u in usage]


@pytest.fixture
def configured(tmp_path):
    db = write_sqlite(tmp_path / "s.db", *rows())
    (tmp_path / "reportgen.toml").write_text(f'source = "sqlite://{db}"\nout = "{tmp_path / "out"}"\n' + BUDGETS,
                                             encoding="utf-8")
    return tmp_path


def test_budgets_against_the_latest_months_spend_on_the_pages(configured):
    site = build(load_config(configured / "reportgen.toml"), workers=1).path
    index = BeautifulSoup((site / urls.INDEX).read_text(encoding="utf-8"), "html.parser")
    table = {tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
             for tr in index.select("table.budgets tbody tr")}
    assert table == {
        "all users": ["$1.000000", "$1.100000", "-$0.100000", "⚠ over by $0.100000"],
        "user ann": ["$0.500000", "$0.300000", "+$0.200000", "within"],
        "user bob": ["$2.000000", "$0.800000", "+$1.200000", "within"],
        "model gpt-4o": ["$0.700000", "$0.300000", "+$0.400000", "within"],
    }
    assert "2026-10" in index.select_one("#budgets").get_text()
    ann = BeautifulSoup((site / urls.user("ann")).read_text(encoding="utf-8"), "html.parser")
    assert [td.get_text(strip=True) for td in ann.select("table.budgets tbody td")] == [
        "$0.500000", "$0.300000", "+$0.200000", "within"]
    assert not BeautifulSoup((site / urls.user("bob")).read_text(encoding="utf-8"), "html.parser").select(
        "table.budgets tbody tr.differs")


def test_fail_on_budget_exits_8_and_still_publishes(configured):
    os.chdir(configured)  # reportgen.toml is read from the current folder
    result = CliRunner().invoke(cli.main, ["build", "--fail-on-budget"])
    assert result.exit_code == cli.EXIT_BUDGET == 8, result.output
    assert result.stderr.count("\n") == 1 and "report is published" in result.stderr
    assert "(all users spent $1.1 of $1 in 2026-10)" in result.stderr
    assert (configured / "out" / "latest" / "index.html").is_file()  # published all the same
    assert CliRunner().invoke(cli.main, ["build"]).exit_code == 0  # without the flag a budget is only shown


def test_the_email_lists_the_budgets(configured):
    config = load_config(configured / "reportgen.toml")
    build(config, workers=1)
    message = notify.compose(config.out, "https://reports.example.com", "r@example.com", ["ops@example.com"])
    text = message.get_body(("plain",)).get_content()
    assert "| all users | $1.00 | $1.10 | over by $0.10 |" in text
    assert "| user ann | $0.50 | $0.30 | within |" in text


@pytest.mark.parametrize("toml, message", [
    ("[budgets]\ntotal = -1\n", "budgets.total must be a non-negative number"),
    ("[budgets]\ntotal = \"lots\"\n", "budgets.total must be a non-negative number"),
    ("[budgets]\nweekly = 5\n", "unknown key 'weekly' in [budgets]"),
    ("[budgets]\nusers = 5\n", "[budgets.users]"),
])
def test_bad_budgets_are_config_errors(tmp_path, toml, message):
    path = tmp_path / "reportgen.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(path)


def test_budgets_are_exact_decimals(tmp_path):
    path = tmp_path / "reportgen.toml"
    path.write_text("[budgets]\ntotal = 0.1\n[budgets.users]\nann = 12.345678901234\n", encoding="utf-8")
    budgets = {b.label: b.monthly_usd for b in load_config(path).budgets}
    assert budgets == {"all users": Decimal("0.1"), "user ann": Decimal("12.345678901234")}
