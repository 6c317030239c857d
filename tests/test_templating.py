"""Money on pages (site/templating.py): exact to at least 6 decimals, the same decimals down a
column, a difference that is not zero never shown as zero; cards round to cents."""

from __future__ import annotations

import re
from decimal import Decimal
from html.entities import name2codepoint

import pytest
from bs4 import BeautifulSoup
from helpers import call_row, usage_row, write_sqlite
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from reportgen.pipeline import build
from reportgen.site import urls
from reportgen.site.templating import (
    ascii_html,
    decimals_of,
    environment,
    format_signed_usd,
    format_usd,
    format_usd_cents,
    html_output,
    text_environment,
    usd_places,
    visible_controls,
)


@pytest.mark.parametrize("value, shown", [
    ("0.01191685", "$0.01191685"), ("0.00098685", "$0.00098685"), ("1.234567", "$1.234567"), ("0", "$0.000000"),
    ("1234.5", "$1,234.500000"), ("-0.5", "-$0.500000"), ("0.000000000001", "$0.000000000001"),
])
def test_usd_is_exact(value, shown):
    assert format_usd(Decimal(value)) == shown


def test_a_difference_that_is_not_zero_never_shows_as_zero():
    for value in ("0.000002", "-0.000000001", "1e-12"):
        text = format_signed_usd(Decimal(value))
        assert Decimal(text.replace("$", "").replace("+", "")) == Decimal(value), text


def test_a_column_shares_its_decimals():
    values = [Decimal("0.5"), Decimal("0.0000001"), None]
    places = usd_places(values)
    assert places == 7 and [format_usd(v, places) for v in values] == ["$0.5000000", "$0.0000001", "—"]


def test_cards_round_to_cents_unless_that_would_show_zero():
    assert format_usd_cents(Decimal("51.2345")) == "$51.23"
    assert format_usd_cents(Decimal("0.004")) == "$0.004000"
    assert format_usd_cents(Decimal("0")) == "$0.00"


def test_pages_show_the_difference_as_an_amount(tmp_path, config_for):
    usage = [usage_row("r1", price="1.234567"), usage_row("r2", price="0.01191685", created_at="2026-10-02T00:00:00Z")]
    calls = [call_row("c1", "r1", price="0.617283"), call_row("c2", "r1", price="0.617282"),
             call_row("c3", "r2", price="0.00098685")]
    db = write_sqlite(tmp_path / "s.db", usage, calls)
    site = build(config_for(f"sqlite://{db}"), workers=1).path
    page = BeautifulSoup((site / urls.request("r1")).read_text(encoding="utf-8"), "html.parser")
    price_row = next(tr for tr in page.select("table.comparison tr") if "Price" in tr.th.get_text())
    assert [td.get_text() for td in price_row.select("td.num")] == ["$1.234567", "$1.234565", "+$0.000002"]
    # the price column (the fifth of six number columns: four token counts, price, expected)
    assert [td.get_text() for td in page.select("table.calls td.num")][4::6] == ["$0.617283", "$0.617282"]
    requests = BeautifulSoup((site / urls.requests_page(1)).read_text(encoding="utf-8"), "html.parser")
    assert [s.get_text() for s in requests.select("summary .price")] == ["$0.01191685", "$1.23456700"]
    user = BeautifulSoup((site / urls.user("u1")).read_text(encoding="utf-8"), "html.parser")  # its rows pasted
    assert [s.get_text() for s in user.select("summary .price")] == ["$0.01191685", "$1.23456700"]
    index = BeautifulSoup((site / urls.INDEX).read_text(encoding="utf-8"), "html.parser")
    card = next(div.dd for div in index.select("dl.headline div") if div.dt.get_text() == "Spend")
    assert (card.get_text(), card["title"]) == ("$1.25", "$1.24648385")


@settings(max_examples=500, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False), st.integers(min_value=0, max_value=12))
def test_decimal_places_are_those_the_exact_value_needs(value, at_least):
    _, digits, exponent = value.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    needed = max(0, -exponent - (len(digits) - len(significant))) if significant else 0
    assert decimals_of(value, at_least) == max(needed, at_least)
    assert Decimal(format_usd(value, at_least).replace("$", "").replace(",", "")) == value


@settings(max_examples=500, deadline=None)
@given(st.text())
@example("\x91 \ufffe — Zoë &amp; <b>")  # a C1 control, a noncharacter, named and numbered references
def test_printed_text_is_escaped_as_markupsafe_escapes_it(text):
    """As markupsafe escapes it, then in ASCII: what is not ASCII as a character reference,
    which reads back as the same text."""
    printed = html_output(text)
    # read back by the references themselves: html.unescape drops what the HTML standard keeps
    # (a noncharacter such as U+FFFE, a parse error that a browser reads as the character)
    read = re.sub(r"&(#(\d+)|(\w+));", lambda m: chr(int(m[2])) if m[2] else chr(name2codepoint[m[3]]), printed)
    assert printed.isascii() and read == visible_controls(text)
    assert printed == ascii_html(str(escape(visible_controls(text))))
    assert html_output(Markup(text)) == text  # already HTML: as it is


def test_pages_are_ascii_whatever_their_text_and_data():
    """A template's own text (— · ⚠ « ») and its values come out as ASCII, so Python keeps a page
    one byte a character (templating.ascii_html); the e-mail's text templates are left alone."""
    page = environment("UTC").from_string("<p title=\"a·b\">{{ who }} — ⚠ {{ '«' }} {{ n | count }}</p>")
    printed = page.render(who="Zoë <3", n=None)
    assert printed == "<p title=\"a&middot;b\">Zo&euml; &lt;3 &mdash; &#9888; &laquo; &mdash;</p>"
    assert BeautifulSoup(printed, "html.parser").p.get_text() == "Zoë <3 — ⚠ « —"
    assert text_environment().from_string("{{ who }} —").render(who="Zoë") == "Zoë —"


def test_printed_values_are_escaped_as_text_once():
    env = environment("UTC")
    page = env.from_string("{{ a }}|{{ b }}|{{ n }}|{{ m }}|{% macro x() %}<i>{{ a }}</i>{% endmacro %}{{ x() }}")
    assert page.render(a="<b>&'\"", b="\x1b[31m", n=3, m=Markup("<br>")) == (
        "&lt;b&gt;&amp;&#39;&#34;|\\x1b[31m|3|<br>|<i>&lt;b&gt;&amp;&#39;&#34;</i>")


def test_field_lookups_and_calls_keep_jinjas_meaning():
    """Templates look a dict's key up inline and call plain functions directly
    (templating._CodeGenerator.visit_Getattr, _Context.call): what Jinja itself gives stays."""
    import jinja2

    from reportgen.site.templating import environment

    env = environment("UTC")

    class Row:
        price = "attribute"

    def render(source: str, **variables) -> str:
        return env.from_string(source).render(**variables)

    assert render("{{ row.price }}", row={"price": "key"}) == "key"
    assert render("{{ row.price }}", row=Row()) == "attribute"
    assert render("{{ row.items() | list | length }}", row={"items": "shadowed", "a": 1}) == "2"  # dict's own method
    assert render("{{ row.inner.price }}", row={"inner": {"price": "<b>"}}) == "&lt;b&gt;"
    with pytest.raises(jinja2.UndefinedError):
        render("{{ row.price }}", row={"cost": 1})
    assert render("{% for r in rows %}{{ f(r) }}{% endfor %}", rows=[1, 2], f=lambda r: r * 10) == "1020"

    @jinja2.pass_context
    def seen(context, name):
        return context[name]

    assert render("{% for r in rows %}{{ seen('title') }}{% endfor %}", rows=[1, 2], seen=seen, title="T") == "TT"
