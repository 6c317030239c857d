"""The baseline `make bench` compares reportgen with: what one would write first, in one
process: sqlite3 + Jinja2, the request list pages with their calls in <details>, and one HTML
page and one JSON file per request. No checks, no analysis, no exports: a lower bound of work.

Usage: python tests/naive_renderer.py SOURCE.db OUT_DIR     (prints the seconds it took)"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections import defaultdict
from pathlib import Path

import jinja2

LIST = jinja2.Template("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Requests {{ n }}</title></head><body>
<h1>Requests, page {{ n }}</h1>
{% for r in rows %}<details><summary>{{ r.id }} {{ r.created_at }} {{ r.user_id }} {{ r.model }} {{ r.price }}</summary>
<table>{% for c in r.calls %}<tr><td>{{ c.id }}</td><td>{{ c.created_at }}</td><td>{{ c.model }}</td>
<td>{{ c.input_tokens }}</td><td>{{ c.output_tokens }}</td><td>{{ c.price }}</td></tr>{% endfor %}</table></details>
{% endfor %}<a href="page-{{ n + 1 }}.html">next</a></body></html>""", autoescape=True)
PAGE = jinja2.Template("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ r.id }}</title></head><body>
<h1>Request {{ r.id }}</h1><p>{{ r.created_at }} {{ r.user_id }} {{ r.model }} {{ r.price }}</p>
<table>{% for c in r.calls %}<tr><td>{{ c.id }}</td><td>{{ c.created_at }}</td><td>{{ c.model }}</td>
<td>{{ c.input_tokens }}</td><td>{{ c.output_tokens }}</td><td>{{ c.price }}</td></tr>{% endfor %}</table>
</body></html>""", autoescape=True)


def render(source: Path, out: Path, page_size: int = 100) -> None:
    con = sqlite3.connect(source)
    con.row_factory = sqlite3.Row
    calls = defaultdict(list)
    for c in con.execute("SELECT * FROM inference_calls ORDER BY created_at"):
        calls[str(c["usage_id"])].append(dict(c))
    requests = [dict(r, id=str(r["id"]), calls=calls.get(str(r["id"]), []))
                for r in con.execute("SELECT * FROM usage WHERE id IS NOT NULL ORDER BY created_at DESC")]
    (out / "requests").mkdir(parents=True)
    (out / "api").mkdir()
    for n, start in enumerate(range(0, len(requests), page_size), 1):
        (out / "requests" / f"page-{n}.html").write_text(LIST.render(n=n, rows=requests[start:start + page_size]))
    for i, r in enumerate(requests):
        name = f"{i}"  # ids are not all safe file names; the naive renderer numbers them
        (out / "requests" / f"{name}.html").write_text(PAGE.render(r=r))
        (out / "api" / f"{name}.json").write_text(json.dumps(r, default=str))


if __name__ == "__main__":
    started = time.perf_counter()
    render(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{time.perf_counter() - started:.2f}")
