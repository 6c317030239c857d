"""The demo generated in SQL (`reportgen demo --data x.duckdb`, used by `make bench-large`): it
is deterministic, carries each awkward case, and a build of it agrees with the independent
reference (tests/reference.py), request documents included (they are joined at render time)."""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb
from click.testing import CliRunner
from reference import FIGURES, compute

from reportgen import cli, demo


def _rows(path, table):
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(f"SELECT * REPLACE (strftime(created_at AT TIME ZONE 'UTC', "
                             f"'%Y-%m-%dT%H:%M:%S.%f+00:00') AS created_at) FROM {table}")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    counts = demo.generate_large(tmp_path / "a.duckdb", rows=2000, seed=1)
    assert demo.generate_large(tmp_path / "b.duckdb", rows=2000, seed=1) == counts
    demo.generate_large(tmp_path / "c.duckdb", rows=2000, seed=2)
    a, b, c = (_rows(tmp_path / f"{x}.duckdb", "inference_calls") for x in "abc")
    assert a == b and a != c
    # about 4.5 calls per request, as the SQLite demo
    assert 3.5 * 2000 < counts["inference_calls"] < 5 * 2000


def test_a_build_of_it_agrees_with_the_reference(tmp_path):
    source = tmp_path / "demo.duckdb"
    result = CliRunner().invoke(cli.main, ["demo", "--rows", "1500", "--seed", "4", "--data", str(source),
                                           "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    usage = [{k: (str(v) if k == "price" and v is not None else v) for k, v in r.items()}
             for r in _rows(source, "usage")]
    calls = [{k: (str(v) if k in ("id", "price") and v is not None else v) for k, v in r.items()}
             for r in _rows(source, "inference_calls")]
    ref = compute(usage, calls)
    site = tmp_path / "out" / "latest"

    meta = json.loads((site / "api" / "meta.json").read_text())
    assert {t: tuple(c.values()) for t, c in meta["tables"].items()} == ref.counts
    assert ref.counts["usage"][2] > 0  # bad rows present and rejected
    kinds = {k for r in ref.requests.values() for k in r["discrepancies"]}
    assert kinds == {"tokens", "price", "no_calls", "orphan"}
    assert any(r["source"] == "inference" for r in ref.requests.values())

    # every request's own document: its figures and its calls, as the reference has them
    checked = 0
    for request in ref.requests.values():
        if not request["id"].replace("-", "").isalnum():  # safe file names (not call:N)
            continue
        doc = json.loads((site / "api" / "requests" / f"{request['id']}.json").read_text(), parse_float=Decimal)
        assert {c: doc[c] for c in FIGURES} == {c: request[c] for c in FIGURES}
        assert doc["discrepancies"] == request["discrepancies"]
        assert len(doc["calls"]) == request["inference"]["calls"]
        assert sum((Decimal(str(c["price"])) for c in doc["calls"]), Decimal(0)) == request["inference"]["price"]
        checked += 1
    assert checked > 1000
