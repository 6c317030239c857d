"""The Jinja2 environments: autoescape and StrictUndefined from day one, the filters that
format money, counts and times, and `link` for every URL.

Templates live in the repository's top-level templates/ and are installed as the package
`reportgen.templates` (see pyproject.toml), so they are read as package resources and an
installed reportgen renders outside the checkout."""

from __future__ import annotations

import codecs
import functools
import html.entities
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from importlib import resources
from types import FunctionType
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import jinja2
import markdown
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

from . import contexts, urls

TEMPLATES_PACKAGE = "reportgen.templates"


def read_template(name: str) -> str:
    """The text of one file of templates/ (a template, the stylesheet, the help page)."""
    return (resources.files(TEMPLATES_PACKAGE) / name).read_text(encoding="utf-8")


def template_names() -> list[str]:
    return sorted(entry.name for entry in resources.files(TEMPLATES_PACKAGE).iterdir() if entry.is_file())


def _loader() -> jinja2.BaseLoader:
    # templates never change while a build runs: no reload checks
    return jinja2.FunctionLoader(lambda name: (read_template(name), None, lambda: True))


# Control characters (NUL, ESC, ...) are not allowed in HTML: data holding them shows them as
# visible escapes (\x1b) instead of writing invalid code points. The C1 controls too (U+0080 to
# U+009F): written as character references (see ascii_html), a browser reads &#145; as U+2018.
CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]}


CONTROL = re.compile("[" + "".join(map(chr, CONTROLS)) + "]")


def visible_controls(value: object) -> object:
    """Jinja's finalize: every printed string with its control characters made visible. Called
    for every value a page prints: plain printable text (nearly all) is let through at C speed."""
    if type(value) is str and not value.isprintable() and CONTROL.search(value):
        return value.translate(CONTROLS)
    return value


def html_output(value: object) -> str:
    """What a page prints for `{{ value }}`: its text with control characters made visible
    (see visible_controls), HTML-escaped exactly as markupsafe escapes it; a Markup value (a
    fragment, a macro's output) as it is. A plain str, not Markup: the page is joined into one
    string anyway, and escape() building a Markup object per printed value, after a separate
    finalize call, was a sixth of rendering's time."""
    if type(value) is not str:
        if hasattr(value, "__html__"):
            return value.__html__()
        value = str(value)
    if not value.isprintable() and CONTROL.search(value):
        value = value.translate(CONTROLS)
    if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
        value = (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                 .replace('"', "&#34;").replace("'", "&#39;"))
    return value if value.isascii() else ascii_html(value)  # nearly every value: five scans, one flag


def ascii_html(text: str) -> str:
    """HTML `text` with each character outside ASCII written as a character reference (— as &mdash;,
    ⚠ as &#9888;), which a browser shows as the character itself. A page whose text is all ASCII
    is stored by Python one byte a character, and encoded to UTF-8 by a copy: one "—" or "⚠" in a
    400 KB list page made Python hold all of it two bytes a character, and encoding it took 226
    µs instead of 7 µs. Only the HTML templates' output goes through this; the e-mail's text is
    left alone."""
    return text.encode("ascii", _REFERENCES).decode("ascii")


def _references(error: UnicodeError) -> tuple[str, int]:
    """The encoding's error handler: a run of characters outside ASCII as references, named
    where HTML names them."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(f"&{html.entities.codepoint2name[c]};" if c in html.entities.codepoint2name else f"&#{c};"
                   for c in map(ord, error.object[error.start:error.end])), error.end


_REFERENCES = "reportgen.html-references"
codecs.register_error(_REFERENCES, _references)


class _CodeGenerator(CodeGenerator):
    """Compiles each printed expression of an autoescaped template to one call of html_output,
    where Jinja writes `escape(environment.finalize(...))`: two calls and a Markup object for
    every value of every page. These two methods are the hooks Jinja has for this."""

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
        else:
            self.write("environment.html_output(")

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        """A template's own text (and its constant expressions), ASCII as html_output makes values."""
        const = super()._output_child_to_const(node, frame, finalize)
        return const if not frame.eval_ctx.autoescape or const.isascii() else ascii_html(const)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_post(node, frame, finalize)
        else:
            self.write(")")

    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        """`row.price` on a plain name, for a dict row, as an inline key lookup: the same value
        Environment.getattr below gives, without a Python call for each of a page's lookups."""
        if self.environment.is_async or not isinstance(node.node, nodes.Name) or node.attr in _DICT_ATTRIBUTES:
            super().visit_Getattr(node, frame)
            return
        key = repr(node.attr)
        self.write("(")
        self.visit(node.node, frame)
        self.write(f"[{key}] if type(")
        self.visit(node.node, frame)
        self.write(f") is dict and {key} in ")
        self.visit(node.node, frame)
        self.write(" else environment.getattr(")
        self.visit(node.node, frame)
        self.write(f", {key}))")


class _Context(jinja2.runtime.Context):
    """Jinja calls every function a template calls (`link(...)`, `urls.request(...)`) through
    Context.call, which looks for pass_context markers on each call; a plain function without
    one is called directly."""

    def call(__self, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own signature)
        if type(__obj) is FunctionType and "jinja_pass_arg" not in __obj.__dict__:
            if kwargs:  # loop and block variables, which only pass_context functions take
                kwargs.pop("_loop_vars", None)
                kwargs.pop("_block_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__obj, *args, **kwargs)


# names of dict's own methods, which a template may call (`meta.tables.items()`)
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja's `row.price` tries getattr() first, and on a dict pays for an AttributeError on
    every lookup; pages look up hundreds of row fields each, so a dict's key is tried first."""

    code_generator_class = _CodeGenerator
    context_class = _Context
    html_output = staticmethod(html_output)

    def __init__(self, **options):
        super().__init__(**options)
        self._loaded: dict[tuple[str, str | None], jinja2.Template] = {}

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def get_template(self, name, parent=None, globals=None):
        """Templates by name, kept here: they never change while a build runs (_loader), and
        Jinja's own cache takes a lock and reorders its LRU list on every look-up, which every
        page pays for its own template and each one it extends or imports (8 us a look-up in a
        render: 0.35 s of a 10k one)."""
        if globals is not None or not isinstance(name, str):
            return super().get_template(name, parent, globals)
        key = (name, parent)
        template = self._loaded.get(key)
        if template is None:
            template = self._loaded[key] = super().get_template(name, parent)
        return template

    def make_globals(self, d):
        """A plain dict, not Jinja's ChainMap: every render copies the globals into its context,
        and copying a ChainMap goes through Python code key by key. Globals are set once, in
        environment(), before any template is loaded."""
        return {**self.globals, **(d or {})}


def environment(timezone: str) -> jinja2.Environment:
    env = _Environment(
        loader=_loader(),
        finalize=visible_controls,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    zone = ZoneInfo(timezone)
    env.filters["usd"] = format_usd
    env.filters["usd_cents"] = format_usd_cents
    env.filters["usd_places"] = usd_places
    env.filters["price_amounts"] = price_amounts
    env.filters["signed_usd"] = format_signed_usd
    env.filters["count"] = format_count
    env.filters["signed_count"] = format_signed_count
    when = functools.partial(format_time, zone=zone)
    env.filters["when"] = when
    env.filters["day"] = lambda iso: when(iso)[:10] if iso else "—"
    env.filters["cause"] = contexts.CAUSES.__getitem__
    env.filters["call_flag"] = contexts.CALL_FLAGS.__getitem__
    env.filters["source_badge"] = _once_per_argument(env, "_badges.html", "source_badge")
    env.filters["discrepancy_labels"] = _once_per_argument(env, "_badges.html", "discrepancy_labels")
    env.globals["cause_order"] = tuple(contexts.CAUSES)
    env.globals["link"] = urls.link
    env.globals["urls"] = urls
    return env


def _once_per_argument(env: jinja2.Environment, template: str, name: str) -> Callable[[Any], Markup]:
    """A filter giving what macro `name` of `template` renders for a value, rendered once per
    distinct value (a list is keyed as a tuple)."""
    rendered: dict[Any, Markup] = {}

    def render(value: Any) -> Markup:
        key = tuple(value) if type(value) is list else value
        if key not in rendered:
            rendered[key] = Markup(getattr(env.get_template(template).module, name)(value))
        return rendered[key]

    return render


def text_environment() -> jinja2.Environment:
    """For plain-text templates (the e-mail's Markdown): no HTML escaping, still strict."""
    # block tags take their whole line, so a loop inside a Markdown table leaves no blank line
    # (which would end the table)
    return jinja2.Environment(loader=_loader(), undefined=jinja2.StrictUndefined, autoescape=False,
                              keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


MONEY_PLACES = 6  # the fewest decimals an amount has in a list, table or comparison


def decimals_of(value: Decimal | int, at_least: int = 0) -> int:
    """Decimal places the exact value needs (trailing zeros aside), or `at_least` when that is
    more. Called for every amount on every page, so read off the value's text (C code), which
    is four times faster than its digit tuple (and, unlike normalize(), never rounds)."""
    if type(value) is int:
        return at_least
    text = str(value)
    if "E" in text:  # 1.00E-7, 1E+3: written out in full (exactly, whatever the context's precision)
        text = f"{value:f}"
    dot = text.find(".")
    if dot < 0:
        return at_least
    places = len(text.rstrip("0")) - dot - 1
    return places if places > at_least else at_least


def usd_places(values: Iterable[Decimal | int | None]) -> int:
    """The decimals a column of amounts is shown with: the same for all, enough for each."""
    places = MONEY_PLACES
    for value in values:
        if value is not None:
            places = decimals_of(value, places)
    return places


def price_amounts(requests: Iterable[dict]) -> Iterator[Decimal | None]:
    """Every price a request view shows side by side: usage, inference total, difference."""
    for request in requests:
        yield (request["usage"] or {}).get("price")
        yield request["inference"]["price"]
        yield request["difference"]["price"]


def format_usd(value: Decimal | int | None, places: int = MONEY_PLACES) -> str:
    """Exact: at least `places` decimals and as many more as the amount has, never rounded."""
    if value is None:
        return "—"
    amount = value if type(value) is Decimal else Decimal(value)
    places = decimals_of(amount, places)
    # copy_abs, not abs(): abs() rounds to the context's 28 digits
    return ("-$" if amount < 0 else "$") + f"{amount.copy_abs():,.{places}f}"


def format_signed_usd(value: Decimal | None, places: int = MONEY_PLACES) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + format_usd(value, places)


def format_usd_cents(value: Decimal | int | None) -> str:
    """Rounded to cents, for headline cards and charts whose exact amount is one step away; an
    amount that would round to zero is shown exactly instead."""
    if value is None:
        return "—"
    amount = Decimal(value)
    cents = amount.quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    if cents == 0 and amount != 0:
        return format_usd(amount)
    return ("-$" if cents < 0 else "$") + f"{abs(cents):,.2f}"


def format_count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def format_signed_count(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value:+,}" if value else "0"


UTC_ZONE = ZoneInfo("UTC")
UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")


def format_time(iso: str | None, zone: ZoneInfo) -> str:
    if iso is None:
        return "—"
    if zone is UTC_ZONE and UTC_ISO.fullmatch(iso):  # the snapshot's own form, shown in UTC: no parsing
        return f"{iso[:10]} {iso[11:19]} UTC"
    moment = datetime.fromisoformat(iso).astimezone(zone)
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


SAFE_LINK = re.compile(r"(https?:|mailto:|[^:]*$)", re.IGNORECASE)  # a scheme we know, or none (relative)


class _SafeLinks(Treeprocessor):
    """Drops link targets and image sources with any scheme but http(s) and mailto
    (javascript:, data:, vbscript: ...): the link text stays, the target goes."""

    def run(self, root: ElementTree.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                # browsers ignore control characters and spaces inside a scheme: so does this check
                if value is not None and not SAFE_LINK.match(re.sub(r"[\x00-\x20]", "", value)):
                    del element.attrib[attribute]


def markdown_html(text: str) -> str:
    """Operator-written Markdown (help, --notes) -> HTML. Raw HTML in it is escaped, not passed
    on, and only http(s), mailto and relative links survive."""
    md = markdown.Markdown(extensions=["tables", "fenced_code", "toc"])  # toc: headings get ids to link to
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)
    return md.convert(text)
