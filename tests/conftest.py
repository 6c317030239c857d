from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from reportgen.config import load_config  # noqa: E402

REQUIRE_INTEGRATION = os.environ.get("REPORTGEN_REQUIRE_INTEGRATION") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With REPORTGEN_REQUIRE_INTEGRATION=1 (CI), a skipped integration test is a failure:
    a missing server must not pass silently."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_INTEGRATION and report.skipped and item.get_closest_marker("integration"):
        report.outcome = "failed"
        report.longrepr = f"integration test skipped but REPORTGEN_REQUIRE_INTEGRATION=1: {report.longrepr}"


@pytest.fixture
def config_for(tmp_path):
    """A Config for a source, building into tmp_path/out, with optional overrides."""

    def make(source, **overrides):
        overrides.setdefault("out", tmp_path / "out")
        return load_config(None, {"source": str(source), **overrides})

    return make


@pytest.fixture(autouse=True)
def _no_stray_config(tmp_path, monkeypatch):
    # load_config reads ./reportgen.toml: run every test from an empty folder
    monkeypatch.chdir(tmp_path)
