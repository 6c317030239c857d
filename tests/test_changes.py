"""Changes since the previous snapshot (PRODUCT.md §4): api/changes.json against an independent
computation from tests/reference.py, the page, `reportgen diff`, and the cases said plainly:
first build, a pruned previous snapshot, one built by an older version."""

from __future__ import annotations

import json
import os
import shutil
from decimal import Decimal

import duckdb
from click.testing import CliRunner
from helpers import write_sqlite
from reference import FIGURES, compute
from site_fixture import PREVIOUS_ID, build_fixed_site, previous_rows, source_rows

from reportgen import cli


def expected_changes(before, after, previous_id, current_id) -> dict:
    """The comparison of §4, written from the reference's reading of each snapshot's rows."""
    def state(rows):
        ref = compute(*rows)
        call_ids: dict[str, set] = {}
        for call in ref.calls:
            call_ids.setdefault(call["request_id"], set()).add(call["id"])
        return {rid: ({c: r[c] for c in FIGURES}, r["source"], tuple(r["discrepancies"]),
                      frozenset(call_ids.get(rid, ())), r["price"]) for rid, r in ref.requests.items()}

    old, new = state(before), state(after)
    pairs = lambda s: {(rid, kind) for rid, v in s.items() for kind in v[2]}  # noqa: E731
    spend_old = sum((v[4] for v in old.values()), Decimal(0))
    spend_new = sum((v[4] for v in new.values()), Decimal(0))
    ids = lambda xs: {"count": len(xs), "ids": sorted(xs)}  # noqa: E731
    items = lambda xs: {"count": len(xs), "items": [{"id": i, "kind": k} for i, k in sorted(xs)]}  # noqa: E731
    return {
        "previous": previous_id, "current": current_id,
        "new_requests": ids(new.keys() - old.keys()),
        "removed_requests": ids(old.keys() - new.keys()),
        "changed_requests": ids([r for r in new.keys() & old.keys() if new[r][:4] != old[r][:4]]),
        "new_discrepancies": items(pairs(new) - pairs(old)),
        "resolved_discrepancies": items(pairs(old) - pairs(new)),
        "spend": {"previous": spend_old, "current": spend_new, "delta": spend_new - spend_old},
    }


def test_changes_json_matches_the_reference(tmp_path):
    site = build_fixed_site(tmp_path)
    got = json.loads((site / "api" / "changes.json").read_text(), parse_float=Decimal)
    want = expected_changes(previous_rows(), source_rows(), PREVIOUS_ID, "20261101T000000.000000Z-golden")
    assert got == want
    # every kind of change is present in the fixture, so none of the lists is tested empty only
    assert all(got[k]["count"] for k in got if k.endswith(("_requests", "_discrepancies")))
    page = (site / "changes.html").read_text()
    assert '<a href="requests/r5.html"><code>r5</code></a>' in page  # new: linked
    assert "<code>r0</code>" in page and "requests/r0.html" not in page  # removed: no dead link
    assert "+$0.898500" in page and "-$0.001500" in page  # spend deltas, signed, per user


def _build(out, source):
    result = CliRunner().invoke(cli.main, ["build", "--source", f"sqlite://{source}", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return os.readlink(out / "latest").split("/")[-1]


def test_builds_compare_with_the_snapshot_latest_pointed_to(tmp_path):
    out, source = tmp_path / "out", tmp_path / "src.db"
    write_sqlite(source, *previous_rows())
    first = _build(out, source)
    doc = json.loads((out / "latest" / "api" / "changes.json").read_text())
    assert doc["previous"] is None and doc["current"] == first
    assert all(doc[k]["count"] == 0 for k in doc if k.endswith(("_requests", "_discrepancies")))
    assert doc["spend"]["previous"] is None and doc["spend"]["delta"] is None
    assert "first snapshot of this report" in (out / "latest" / "changes.html").read_text()

    source.unlink()
    write_sqlite(source, *source_rows())
    second = _build(out, source)
    doc = json.loads((out / "latest" / "api" / "changes.json").read_text(), parse_float=Decimal)
    assert doc == expected_changes(previous_rows(), source_rows(), first, second)

    # `reportgen diff A B` prints the same comparison, for any two published snapshots
    result = CliRunner().invoke(cli.main, ["diff", first, "latest", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output, parse_float=Decimal) == doc
    backwards = json.loads(CliRunner().invoke(cli.main, ["diff", second, first, "--out", str(out)]).output)
    assert backwards["new_requests"] == doc["removed_requests"]
    assert backwards["resolved_discrepancies"]["items"] == [
        {"id": i["id"], "kind": i["kind"]} for i in doc["new_discrepancies"]["items"]]

    result = CliRunner().invoke(cli.main, ["diff", first, "20990101T000000.000000Z-nope", "--out", str(out)])
    assert result.exit_code == 2 and "no snapshot '20990101T000000.000000Z-nope'" in result.stderr


def test_a_pruned_or_older_previous_snapshot_is_said_plainly(tmp_path):
    out, source = tmp_path / "out", tmp_path / "src.db"
    write_sqlite(source, *source_rows())
    first = _build(out, source)

    # built by a reportgen from before request_keys
    con = duckdb.connect(str(out / "snapshots" / first / "snapshot.duckdb"))
    con.execute("DROP TABLE request_keys")
    con.close()
    result = CliRunner().invoke(cli.main, ["diff", first, "latest", "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr == f"reportgen: snapshot {first} was built by an older version of reportgen\n"
    second = _build(out, source)
    doc = json.loads((out / "latest" / "api" / "changes.json").read_text())
    assert doc["previous"] is None and doc["current"] == second
    assert "was built by an older version of reportgen" in (out / "latest" / "changes.html").read_text()

    # the snapshot latest points to has lost its database (pruned by hand)
    (out / "snapshots" / second / "snapshot.duckdb").unlink()
    _build(out, source)
    assert "has been pruned" in (out / "latest" / "changes.html").read_text()
    shutil.rmtree(out / "snapshots" / second)
    result = CliRunner().invoke(cli.main, ["diff", second, "latest", "--out", str(out)])
    assert result.exit_code == 2 and "no snapshot" in result.stderr
