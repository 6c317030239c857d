"""A build killed (SIGKILL) at any point leaves `latest` on a complete snapshot whose manifest
verifies, and the next build succeeds; readers never see a missing file or two snapshots mixed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reportgen import demo
from reportgen.hosting import manifest, publish

STOP_POINTS = ["snapshot", "render", "before-rename", "before-swap", "after-swap"]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("crash") / "demo.db"
    demo.generate(path, rows=300, seed=5)
    return f"sqlite://{path}"


def build_command(source: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "reportgen", "build", "--source", source, "--out", str(out), "--page-size", "20"]


def run_build(source: str, out: Path) -> None:
    done = subprocess.run(build_command(source, out), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def assert_consistent(out: Path, expected_latest: str | None) -> None:
    """latest names a snapshot (expected_latest, when given) whose files all match its manifest."""
    latest = publish.latest_id(out)
    assert latest is not None
    if expected_latest is not None:
        assert latest == expected_latest
    assert manifest.verify(out / "latest") == []


def kill_at(source: str, out: Path, point: str) -> None:
    env = {**os.environ, "REPORTGEN_TEST_STOP_AT": point}
    process = subprocess.Popen(build_command(source, out), stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    line = process.stderr.readline()
    assert f"stopped at {point}" in line, line
    os.killpg(process.pid, signal.SIGKILL)  # the build and its render workers
    process.wait(10)


@pytest.mark.parametrize("point", STOP_POINTS)
def test_killed_at_a_stage_leaves_the_previous_report(tmp_path, source, point):
    out = tmp_path / "out"
    run_build(source, out)
    before = publish.latest_id(out)
    kill_at(source, out, point)
    if point == "after-swap":
        assert publish.latest_id(out) != before  # the swap had happened: the new one is complete
        assert_consistent(out, None)
    else:
        assert_consistent(out, before)
    run_build(source, out)
    assert publish.latest_id(out) > before
    assert_consistent(out, None)
    assert not any(p.name.startswith(".tmp-") for p in (out / "snapshots").iterdir())


def test_killed_at_many_moments(tmp_path, source):
    out = tmp_path / "out"
    run_build(source, out)
    started = time.monotonic()
    run_build(source, out)
    duration = time.monotonic() - started
    for fraction in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.97):
        before = publish.latest_id(out)
        process = subprocess.Popen(build_command(source, out), stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(duration * fraction)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        assert publish.latest_id(out) >= before
        assert_consistent(out, None)
    run_build(source, out)
    assert_consistent(out, None)


def test_readers_never_see_a_missing_file_or_a_mix(tmp_path, source):
    out = tmp_path / "out"
    run_build(source, out)
    stop = threading.Event()
    problems: list[str] = []
    reads = [0]

    def reader() -> None:
        latest = out / "latest"
        while not stop.is_set():
            try:
                # one open of the directory, then both files through it: what a server does
                # per request is one path lookup, so each file must be complete on its own,
                # and the page's footer must name the snapshot the API file says
                snapshot_dir = os.path.realpath(latest)
                index = Path(snapshot_dir, "index.html").read_text()
                meta = json.loads(Path(snapshot_dir, "api", "meta.json").read_text())
                if meta["snapshot_id"] not in index:
                    problems.append(f"index and meta of different snapshots: {meta['snapshot_id']}")
                page = json.loads((latest / "api" / "requests" / "page-1.json").read_text())
                if page["page"] != 1:
                    problems.append("bad page")
                reads[0] += 1
            except (OSError, ValueError) as e:
                problems.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for _ in range(4):
        run_build(source, out)
    stop.set()
    for t in threads:
        t.join()
    assert problems == []
    assert reads[0] > 50


def descendants(pid: int) -> set[int]:
    """Every living process below pid, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_render_workers_die_with_the_build(tmp_path, source, how):
    out = tmp_path / "out"
    env = {**os.environ, "REPORTGEN_TEST_STOP_AT": "render-worker"}
    process = subprocess.Popen([*build_command(source, out), "--workers", "2"], stderr=subprocess.PIPE, env=env,
                               text=True)
    assert "stopped at render-worker" in process.stderr.readline()
    workers = descendants(process.pid)
    assert len(workers) >= 2  # the render workers (and multiprocessing's resource tracker)
    process.send_signal(how)  # the build only: its workers must follow by themselves
    rest = threading.Thread(target=process.stderr.read)  # EOF only once nobody holds stderr
    rest.start()
    rest.join(20)
    assert not rest.is_alive(), "a process still holds the build's stderr"
    process.wait(10)
    deadline = time.monotonic() + 10
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(workers) == set()
    if how == signal.SIGTERM:
        assert process.returncode == 130
        assert not any(p.name.startswith(".tmp-") for p in (out / "snapshots").iterdir())
