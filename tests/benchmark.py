"""`make bench`: build demo sources of 10k and 100k requests and print, per size, wall time per
stage, rows per second, HTML pages per second, the peak RSS of the snapshot + analysis stages,
the largest resident size a render worker had after any of its tasks, and the search index's
time (its runs, and what of it came after the last page), files and size.

Usage: python tests/benchmark.py [SIZE ...]     (default: 10000 100000; `make bench-large`: 1000000)
BENCH_DIR=/dev/shm/bench puts the data and builds on a tmpfs, to measure the renderer apart from the disk.
BENCH_SKIP_RENDER=1 stops each build after its analysis (no incremental or naive run either): the
snapshot and analysis figures of 1M requests in minutes, on a machine whose disk would take an hour
to write the 4.4M files.
Sizes up to 100k use the SQLite demo (demo.generate, a Python loop with every hostile case);
larger ones the DuckDB demo generated in SQL (demo.generate_large), whose time is printed.
Each build runs in a child process so its peak RSS (and its render workers') is its own."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
# BENCH_DIR puts the sources and builds elsewhere (a tmpfs, to tell the renderer's cost from the disk's)
DATA = Path(os.environ.get("BENCH_DIR") or ROOT / "bench-data")


def file_creation_us(folder: Path, count: int = 2000) -> float:
    """What creating (and writing 3 KB to) one file costs in `folder` now: the floor under every
    page the build writes. Disks vary by more than 10x (40 us on the reference machine)."""
    probe = folder / "fs-probe"
    shutil.rmtree(probe, ignore_errors=True)
    probe.mkdir()
    data = b"x" * 3000
    started = time.perf_counter()
    for i in range(count):
        with open(probe / f"{i}.html", "xb") as f:
            f.write(data)
    seconds = time.perf_counter() - started
    shutil.rmtree(probe)
    return seconds / count * 1e6

CHILD = r"""
import json, os, resource, sys, time, logging
from pathlib import Path
from reportgen.config import load_config
from reportgen.hosting import manifest
from reportgen.ingest import snapshot
from reportgen.ingest.sources import open_source
from reportgen.site import render
from reportgen.sql import changes
from reportgen.sql.analyse import analyse
source, out = sys.argv[1], Path(sys.argv[2])
config = load_config(None, {"source": source, "out": out})
times = {}
staging = out / "stage"
staging.mkdir(parents=True)
db = staging / "snapshot.duckdb"
t = time.perf_counter()
counts = snapshot.take_snapshot(config, open_source(source), db, "bench", "2026-11-01T00:00:00+00:00")
times["snapshot"] = time.perf_counter() - t
t = time.perf_counter()
analyse(config, db)
changes.compare_in_build(db, "bench", changes.Previous(None, None))
times["analysis"] = time.perf_counter() - t
rss_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
# printed now, not only at the end: a render too long to wait for still leaves these figures
print(f"snapshot {times['snapshot']:.2f} s, analysis {times['analysis']:.2f} s, peak RSS {rss_main / 1024:.0f} MB; "
      "rendering", flush=True)
if os.environ.get("BENCH_SKIP_RENDER"):
    sys.exit(0)
t = time.perf_counter()
stats = render.render_site(config, db, staging, render.default_workers())
files = stats.files
times["render"] = time.perf_counter() - t
t = time.perf_counter()
manifest.add_file(staging, "snapshot.duckdb")
times["manifest"] = time.perf_counter() - t
print(json.dumps({"times": times, "files": files, "rows": sum(c.rows_read for c in counts),
                  "html": sum(1 for _ in staging.rglob("*.html")),
                  "rss_main_mb": rss_main / 1024,
                  "rss_render_mb": stats.worker_rss_mb, "search_s": stats.search.seconds,
                  "search_after_s": stats.search.waited,
                  "search_files": stats.search.files, "search_bytes": stats.search.bytes}))
"""


# Two builds with the pipeline, as cron runs them: the full one, then one after 1 % new rows.
INCREMENTAL = r"""
import json, os, sys, time
from pathlib import Path
from reportgen.config import load_config
from reportgen.pipeline import build
out = Path(sys.argv[3])
times = []
for source in sys.argv[1:3]:
    t = time.perf_counter()
    result = build(load_config(None, {"source": source, "out": out, "keep": 10}))
    times.append(time.perf_counter() - t)
full, new = sorted((out / "snapshots").iterdir())
def disk(folder, own_only):
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file() and not p.is_symlink()
               and (not own_only or p.stat().st_nlink == 1))
print(json.dumps({"full": times[0], "incremental": times[1], "full_disk": disk(full, False),
                  "incremental_disk": disk(new, True)}))
"""


def with_new_rows(source: Path) -> Path:
    """A copy of a demo source with 1 % more requests (copies of every 100th, with their calls
    under new ids): what a nightly build sees. Same file name in another folder, as the source's
    name is part of every page's provenance."""
    target = source.parent / "plus1pct" / source.name
    if target.exists():
        return target
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(source, target)
    if source.suffix == ".db":
        con = sqlite3.connect(target)
        with con:
            con.execute("CREATE TEMP TABLE picked AS SELECT id FROM usage WHERE rowid % 100 = 0 AND id IS NOT NULL")
            con.execute("INSERT INTO inference_calls SELECT 'new-' || id, 'new-' || usage_id, created_at, user_id, "
                        "model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, price "
                        "FROM inference_calls WHERE usage_id IN (SELECT id FROM picked)")
            con.execute("INSERT INTO usage SELECT 'new-' || id, created_at, user_id, handle, model, input_tokens, "
                        "output_tokens, cache_read_tokens, cache_write_tokens, price FROM usage "
                        "WHERE id IN (SELECT id FROM picked)")
        con.close()
    else:
        con = duckdb.connect(str(target))
        con.execute("CREATE TEMP TABLE picked AS SELECT id FROM usage WHERE hash(id) % 100 = 0 AND id IS NOT NULL")
        con.execute("INSERT INTO inference_calls SELECT id + 1000000000000, 'new-' || usage_id, * EXCLUDE (id, "
                    "usage_id) FROM inference_calls WHERE usage_id IN (SELECT id FROM picked)")
        con.execute("INSERT INTO usage SELECT 'new-' || id, * EXCLUDE (id) FROM usage "
                    "WHERE id IN (SELECT id FROM picked)")
        con.close()
    return target


def incremental_and_naive(source: Path, url: str, reportgen_wall: float) -> str:
    out = DATA / "out-incremental"
    shutil.rmtree(out, ignore_errors=True)
    plus = with_new_rows(source)
    plus_url = url.replace(str(source), str(plus))
    done = subprocess.run([sys.executable, "-c", INCREMENTAL, url, plus_url, str(out)], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"incremental build failed:\n{done.stderr}")
    r = json.loads(done.stdout.strip().splitlines()[-1])
    shutil.rmtree(out, ignore_errors=True)
    line = (f"  incremental build after 1 % new rows: {r['incremental']:.1f} s = {r['incremental'] / r['full']:.0%} "
            f"of a full build ({r['full']:.1f} s); new snapshot's own disk {r['incremental_disk'] / 2**20:.0f} MB = "
            f"{r['incremental_disk'] / r['full_disk']:.0%} of a full one ({r['full_disk'] / 2**20:.0f} MB)")
    if source.suffix == ".db":
        naive_out = DATA / "out-naive"
        shutil.rmtree(naive_out, ignore_errors=True)
        naive = subprocess.run([sys.executable, str(ROOT / "tests" / "naive_renderer.py"), str(source), str(naive_out)],
                               capture_output=True, text=True, check=True)
        seconds = float(naive.stdout.strip())
        shutil.rmtree(naive_out, ignore_errors=True)
        line += (f"\n  naive one-process renderer (tests/naive_renderer.py): {seconds:.1f} s; reportgen's full build "
                 f"is {seconds / reportgen_wall:.2f}x its speed (the issue's target: 2x)")
    return line


def main(sizes: list[int]) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    print(f"in {DATA}: creating a 3 KB file takes {file_creation_us(DATA):.0f} us here")
    print(f"{'requests':>9} {'rows read':>10} {'total s':>8} {'snapshot':>9} {'analysis':>9} {'render':>8} "
          f"{'manifest':>9} {'rows/s':>8} {'files':>8} {'pages':>7} {'pages/s':>8} "
          f"{'RSS snap+analysis':>18} {'render worker peak':>18}")
    worker_rss = {}
    for size in sizes:
        source = DATA / (f"demo-{size}.db" if size <= 100_000 else f"demo-{size}.duckdb")
        if not source.exists():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "reportgen", "demo", "--no-build", "--rows", str(size),
                            "--data", str(source)], check=True, capture_output=True)
            print(f"generated {source.name} in {time.perf_counter() - started:.1f} s")
        url = f"sqlite://{source}" if source.suffix == ".db" else f"duckdb://{source}"
        out = DATA / f"out-{size}"
        subprocess.run(["rm", "-rf", str(out)], check=True)
        started = time.perf_counter()
        # stderr joins stdout (read as it comes: two pipes read one after the other can deadlock)
        child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(out)], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        lines = []
        for line in child.stdout:
            lines.append(line)
            if line.startswith("snapshot "):
                print(f"{size:>9} {line.rstrip()}", flush=True)
        if child.wait():
            sys.exit(f"build of {size} requests failed:\n{''.join(lines)}")
        if os.environ.get("BENCH_SKIP_RENDER"):  # the line above holds all this size's figures
            continue
        wall = time.perf_counter() - started
        result = json.loads(next(line for line in reversed(lines) if line.startswith("{")))
        t = result["times"]
        print(f"{size:>9} {result['rows']:>10} {wall:>8.1f} {t['snapshot']:>9.2f} {t['analysis']:>9.2f} "
              f"{t['render']:>8.2f} {t['manifest']:>9.2f} {result['rows'] / wall:>8.0f} {result['files']:>8} "
              f"{result['html']:>7} {result['html'] / t['render']:>8.0f} "
              f"{result['rss_main_mb']:>16.0f}MB {result['rss_render_mb']:>16.0f}MB")
        print(f"  search index (Pagefind, part of render): {result['search_s']:.1f} s of runs while and after the "
              f"pages render, {result['search_after_s']:.1f} s after the last page = "
              f"{result['search_after_s'] / wall:.0%} of the build (target: at most 15 %), {result['search_files']} "
              f"files, {result['search_bytes'] / 2**20:.1f} MB")
        subprocess.run(["rm", "-rf", str(out)], check=True)
        worker_rss[size] = result["rss_render_mb"]
        if not os.environ.get("BENCH_SKIP_INCREMENTAL"):
            print(incremental_and_naive(source, url, wall), flush=True)
    if len(worker_rss) > 1:
        smallest, largest = min(worker_rss), max(worker_rss)
        print(f"render worker peak RSS at {largest:,} requests is {worker_rss[largest] / worker_rss[smallest]:.2f}x "
              f"its peak at {smallest:,} (the issue's target: within 1.20x)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
