"""Page contexts (site/contexts.py) against the templates: every page type is rendered from the
fixture, recording each name its templates look up; a template that uses a name its context
lacks, or a context field that no template uses, fails."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields

import jinja2
import pytest
from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.utils import missing
from site_fixture import build_fixed_site

from reportgen.site import contexts, render, templating

LOOKUPS: dict[str, set[str]] = defaultdict(set)  # page template -> names looked up while rendering it
MISSES: dict[str, set[str]] = defaultdict(set)  # page template -> names looked up but not there
_rendering: list[str] = []


class RecordingContext(Context):
    def resolve_or_missing(self, key):
        value = super().resolve_or_missing(key)
        # a macro called from Python (render.Worker.request_row) runs in its template's module
        page = _rendering[-1] if _rendering else self.name
        LOOKUPS[page].add(key)
        if value is missing:
            MISSES[page].add(key)
        return value


class RecordingTemplate(jinja2.Template):
    def render(self, *args, **kwargs):
        _rendering.append(self.name)
        try:
            return super().render(*args, **kwargs)
        finally:
            _rendering.pop()


def assigned_names() -> set[str]:
    env = templating.environment("UTC")
    return {node.name for name in templating.template_names() if name.endswith(".html")
            for node in env.parse(templating.read_template(name)).find_all(nodes.Name) if node.ctx == "store"}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    def recording_environment(timezone):
        env = templating.environment(timezone)
        env.context_class = RecordingContext
        env.template_class = RecordingTemplate
        return env

    patch = pytest.MonkeyPatch()
    patch.setattr(render, "environment", recording_environment)
    try:
        build_fixed_site(tmp_path_factory.mktemp("contexts"), notes="Some *notes*.", workers=1)
    finally:
        patch.undo()
    return LOOKUPS, MISSES


def test_every_page_template_has_a_context():
    pages = {name for name in templating.template_names()
             if name.endswith(".html") and not name.startswith("_") and name != "base.html"}
    assert pages == {page.template for page in contexts.PAGE_TYPES}


# rendered once per folder for every page (render.Worker.chrome): what they read, each page reads
CHROME = ("_header.html", "_footer.html", "_legend.html")


@pytest.mark.parametrize("page", contexts.PAGE_TYPES, ids=lambda page: page.__name__)
def test_templates_use_exactly_what_the_context_declares(recorded, page):
    lookups, misses = recorded
    assert page.template in lookups, f"{page.template} was never rendered from the fixture"
    # a name a template assigns itself ({% set %} in a branch) is looked up first: not a context name
    undeclared = (misses[page.template] | {name for chrome in CHROME for name in misses[chrome]}) - assigned_names()
    assert undeclared == set(), f"{page.template} uses names {page.__name__} does not declare"
    read = lookups[page.template] | {name for chrome in CHROME for name in lookups[chrome]}
    unused = {f.name for f in fields(page)} - read
    assert unused == set(), f"{page.__name__} declares fields no template uses"


def test_the_recorder_notices_an_undeclared_name(tmp_path):
    """The check above can fail: a template reading a name no context has is caught."""
    env = templating.environment("UTC")
    env.context_class = RecordingContext
    env.template_class = RecordingTemplate
    template = env.from_string("{% if nope is defined %}{{ nope }}{% endif %}{{ title }}")
    template.name = "probe.html"
    assert template.render(title="t") == "t"
    assert MISSES["probe.html"] == {"nope"}
