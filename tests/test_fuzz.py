"""A bounded fuzz run, part of `make test`: arbitrary source values never fail a snapshot or
lose a row, and arbitrary request paths and headers sent to `reportgen serve` (loopback only)
get only the answers the route table allows, never a 500 or a file from outside the snapshot."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import pytest
from helpers import analysed_snapshot
from hosting import PASSWORD, USER, basic, published_out, raw_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.hosting.serve import make_server

REASONS = {"bad_encoding", "missing_id", "reserved_id", "duplicate_id", "missing_user_id", "bad_timestamp",
           "negative", "not_a_number", "not_a_whole_number", "too_precise", "out_of_range"}
NUMBERISH = st.one_of(st.from_regex(r"[ +\-]?[0-9_.]{0,25}([eE][+\-]?[0-9]{0,6})?", fullmatch=True),
                      st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=True), st.text(max_size=8))
TEXT = st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["call:1", "", " ", "\x00", "\x1b[31m"]))
TIMES = st.one_of(TEXT, st.integers(-2**63, 2**63 - 1), st.sampled_from(["2026-10-01T10:00:00Z"]))


def row(with_user: bool):
    figures = {c: NUMBERISH for c in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                                      "price")}
    return st.fixed_dictionaries({"id": TEXT, "created_at": TIMES, "user_id": TEXT, "model": TEXT, **figures,
                                  **({"handle": TEXT} if with_user else {"usage_id": TEXT})})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row(True), max_size=8), st.lists(row(False), max_size=8))
def test_any_source_values_are_accepted_or_rejected_never_lost(usage, calls):
    with tempfile.TemporaryDirectory() as tmp:
        con = analysed_snapshot(Path(tmp), usage, calls)
        counts = {t: (r, a, j) for t, r, a, j in con.execute("SELECT * FROM table_counts").fetchall()}
        assert counts == {"usage": (len(usage), *counts["usage"][1:]),
                          "inference_calls": (len(calls), *counts["inference_calls"][1:])}
        for read, accepted, rejected in counts.values():
            assert read == accepted + rejected
        reasons = {r for (r,) in con.execute("SELECT DISTINCT reason FROM rejected_rows").fetchall()}
        assert reasons <= REASONS


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    out, htpasswd, _ = published_out(tmp)
    (tmp / "secret.txt").write_text("TOP SECRET outside OUT")
    httpd = make_server(out, "127.0.0.1", 0, htpasswd)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


PATH_PIECES = st.sampled_from(["/", ".", "..", "%2e", "%2f", "%5c", "%00", "\\", "snapshots", "latest", "api",
                               "requests", "?", "&", "usage_id=", "page=", "#", ";", "%", "%ff", "snapshot.duckdb",
                               "index.html", "~", "secret.txt", "a"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.lists(PATH_PIECES, max_size=12).map(lambda p: "/" + "".join(p)),
       authorization=st.one_of(st.just(basic(USER, PASSWORD)), st.text(max_size=40).map(lambda t: "Basic " + t)),
       extra=st.dictionaries(st.sampled_from(["Accept-Encoding", "Range", "If-None-Match", "X-Forwarded-For"]),
                             st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)))
def test_any_request_gets_an_allowed_answer(server, path, authorization, extra):
    status, headers, body = raw_request(server, path, {"Authorization": authorization, **extra})
    assert status in (200, 301, 400, 401, 404), (path, status)
    assert b"TOP SECRET" not in body and b"root:" not in body and not body.startswith(b"DUCK")
    if status == 301:
        assert headers["location"].startswith("/") and not headers["location"].startswith("//")
