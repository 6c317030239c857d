"""One small site, built with a fixed clock and snapshot id, diffed end to end against
tests/golden/. After an intended change of output: REPORTGEN_UPDATE_GOLDEN=1 make test, then
review the diff of tests/golden/ like any other change."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from site_fixture import build_fixed_site

from reportgen.site import search

GOLDEN = Path(__file__).parent / "golden"


def site_files(root: Path) -> dict[str, str]:
    # .gz copies are the same bytes compressed, the manifest their hashes; the version string is
    # not part of the output's meaning; pagefind/ is Pagefind's own output (its search is tested
    # in a browser, test_browser.py)
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8").replace(_version(), "VERSION")
            for p in sorted(root.rglob("*")) if p.is_file() and p.suffix != ".gz" and p.name != "manifest.sha256"
            and not p.relative_to(root).as_posix().startswith(search.FOLDER + "/")}


def _version() -> str:
    from reportgen import __version__
    return __version__


def test_golden_site(tmp_path):
    built = site_files(build_fixed_site(tmp_path, workers=2))
    if os.environ.get("REPORTGEN_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, text in built.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_text(text, encoding="utf-8")
    expected = site_files(GOLDEN)
    assert sorted(built) == sorted(expected)
    for name, text in built.items():
        if text != expected[name]:
            diff = "".join(difflib.unified_diff(expected[name].splitlines(True), text.splitlines(True),
                                                f"golden/{name}", f"built/{name}", n=2))
            raise AssertionError(f"{name} differs from the golden site:\n{diff[:4000]}")
