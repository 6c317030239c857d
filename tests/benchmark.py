"""`make bench`: build demo sources of 10k and 100k requests and print, per size, wall time per
stage, rows per second, HTML pages per second, the peak RSS of the snapshot + analysis stages,
and the largest resident size a render worker had after any of its tasks.

Usage: python tests/benchmark.py [SIZE ...]     (default: 10000 100000; `make bench-large`: 1000000)
Sizes up to 100k use the SQLite demo (demo.generate, a Python loop with every hostile case);
larger ones the DuckDB demo generated in SQL (demo.generate_large), whose time is printed.
Each build runs in a child process so its peak RSS (and its render workers') is its own."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"

CHILD = r"""
import json, resource, sys, time, logging
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
                  "rss_render_mb": stats.worker_rss_mb}))
"""


def main(sizes: list[int]) -> None:
    DATA.mkdir(exist_ok=True)
    print(f"{'requests':>9} {'rows read':>10} {'total s':>8} {'snapshot':>9} {'analysis':>9} {'render':>8} "
          f"{'manifest':>9} {'rows/s':>8} {'files':>8} {'pages':>7} {'pages/s':>8} "
          f"{'RSS snap+analysis':>18} {'RSS render worker':>18}")
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
        done = subprocess.run([sys.executable, "-c", CHILD, url, str(out)],
                              capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"build of {size} requests failed:\n{done.stderr}")
        wall = time.perf_counter() - started
        result = json.loads(done.stdout.strip().splitlines()[-1])
        t = result["times"]
        print(f"{size:>9} {result['rows']:>10} {wall:>8.1f} {t['snapshot']:>9.2f} {t['analysis']:>9.2f} "
              f"{t['render']:>8.2f} {t['manifest']:>9.2f} {result['rows'] / wall:>8.0f} {result['files']:>8} "
              f"{result['html']:>7} {result['html'] / t['render']:>8.0f} "
              f"{result['rss_main_mb']:>16.0f}MB {result['rss_render_mb']:>16.0f}MB")
        subprocess.run(["rm", "-rf", str(out)], check=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
