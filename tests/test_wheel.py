"""A normal (non-editable) install works outside the checkout: the wheel carries the templates
and the SQL, and `reportgen demo` from a fresh virtualenv builds a site with them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "output", "demo-data", "bench-data", "test-artifacts",
                                    "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp / "dist"), str(source)], check=True, capture_output=True)
    return next((tmp / "dist").glob("reportgen-*.whl"))


def test_wheel_carries_templates_and_sql(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").iterdir():
        if template.suffix in (".html", ".md", ".css"):
            assert f"reportgen/templates/{template.name}" in names, template.name
    package = ROOT / "reportgen"
    data = [p for p in package.rglob("*") if p.is_file() and (p.suffix == ".sql" or p.name == "ORDER")]
    assert len(data) > 30
    for path in data:  # every SQL file, wherever it lives in the package
        assert f"reportgen/{path.relative_to(package).as_posix()}" in names, path


def test_installed_wheel_builds_the_demo_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    site_packages = Path(sysconfig.get_path("purelib", vars={"base": str(env_dir), "platbase": str(env_dir)}))
    # the dependencies come from the test environment (nothing is downloaded); a plain path
    # entry, so that environment's editable reportgen is not seen
    (site_packages / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install",
                    "--quiet", "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    located = subprocess.run([str(env_dir / "bin" / "python"), "-c", "import reportgen; print(reportgen.__file__)"],
                             cwd=work, capture_output=True, text=True, check=True).stdout
    assert Path(located).is_relative_to(site_packages), located
    result = subprocess.run([str(env_dir / "bin" / "reportgen"), "demo", "--rows", "60", "--out", "site",
                             "--data", "demo.db"], cwd=work, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    index = work / "site" / "latest" / "index.html"
    assert "Demo product usage" in index.read_text(encoding="utf-8")
    stylesheet = work / "site" / "latest" / "assets" / "style.css"
    assert stylesheet.read_text() == (ROOT / "templates" / "style.css").read_text()
