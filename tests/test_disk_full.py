"""A build whose OUT fills up (a real, small tmpfs) ends with one line and exit 6, at whatever
stage the space runs out, and leaves the published report as it was."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reportgen import demo
from reportgen.hosting import publish

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("full") / "demo.db"
    demo.generate(path, rows=1500, seed=3)
    return path


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    yield mount
    subprocess.run(["umount", str(mount)], capture_output=True)


def mount_tmpfs(mount, size: str) -> None:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


# out of space while copying the source, writing the snapshot, analysing, rendering
@pytest.mark.parametrize("size", ["1m", "4m", "12m", "30m"])
def test_disk_full_is_one_line_exit_6(source, small_disk, size):
    mount_tmpfs(small_disk, size)
    out = small_disk / "out"
    result = subprocess.run([sys.executable, "-m", "reportgen", "build", "--source", f"sqlite://{source}",
                             "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 6, result.stderr
    assert result.stderr.startswith("reportgen: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert publish.latest_id(out) is None
    assert not any(p.name.startswith(".tmp-") for p in (out / "snapshots").iterdir())


def test_the_fragment_store_filling_the_disk_is_an_output_error(small_disk):
    """A render worker's store write that runs out of space is the one-line OutputError (exit 6)
    every other write gives, not SQLite's OperationalError (which the build calls internal)."""
    from decimal import Decimal

    from reportgen.site.fragments import FragmentStore, Row
    from reportgen.site.writer import OutputError

    mount_tmpfs(small_disk, "1m")
    FragmentStore.create(small_disk)
    store = FragmentStore(small_disk)
    try:
        with pytest.raises(OutputError, match=r"^cannot write .*\.fragments\.sqlite: database or disk is full$"):
            for n in range(0, 10_000, 100):  # 100 rows of 2 KB a put: 2 MB in all
                store.put([(i, "k", [], Row("x" * 2048, Decimal(1))) for i in range(n, n + 100)])
    finally:
        store.close()
