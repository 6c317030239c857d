"""The generated nginx config on a real Debian nginx (workers as www-data), started by the test on
a loopback port, with the generated htpasswd: auth, gzip, security headers on 200/401/404,
nothing outside OUT, and a short bounded load recording requests per second. The URL routes
themselves are tested on all four servers at once in test_routes.py."""

from __future__ import annotations

import gzip
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import real_servers
from hosting import PASSWORD, USER, basic, raw_request

from reportgen.hosting.routes import SECURITY_HEADERS

pytestmark = pytest.mark.integration
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def nginx():
    with real_servers.published_for_workers("nginx") as (tmp, out, htpasswd, snapshot_id):
        (tmp / "secret.txt").write_text("TOP SECRET outside OUT")
        with real_servers.nginx(tmp, out, htpasswd) as port:
            yield port, out, snapshot_id


def get(port, target, auth=True, **headers):
    if auth:
        headers.setdefault("Authorization", basic(USER, PASSWORD))
    return raw_request(port, target, headers)


def test_basic_auth(nginx):
    port, _, _ = nginx
    assert get(port, "/", auth=False)[0] == 401
    assert get(port, "/", Authorization=basic(USER, "wrong"))[0] == 401
    assert get(port, "/", Authorization=basic("mallory", PASSWORD))[0] == 401
    status, _, body = get(port, "/")
    assert status == 200 and b"<h1>" in body


def test_latest_and_permanent_snapshot_urls(nginx):
    port, _, snapshot_id = nginx
    for target in ("/", "/index.html", f"/snapshots/{snapshot_id}/", f"/snapshots/{snapshot_id}/requests/page-1.html"):
        assert get(port, target)[0] == 200, target


def test_gzip_when_asked(nginx):
    port, _, _ = nginx
    status, headers, body = get(port, "/api/requests/page-1.json", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip"
    assert json.loads(gzip.decompress(body))["page"] == 1
    status, headers, body = get(port, "/api/requests/page-1.json")
    assert "content-encoding" not in headers and json.loads(body)["page"] == 1


def test_identical_security_headers_on_200_401_404(nginx):
    port, _, _ = nginx
    replies = {"200": get(port, "/"), "401": get(port, "/", auth=False), "404": get(port, "/nope.html")}
    assert {k: v[0] for k, v in replies.items()} == {"200": 200, "401": 401, "404": 404}
    for code, (_, headers, _) in replies.items():
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name.lower()) == value, (code, name)


@pytest.mark.parametrize("target, expected", [
    ("/../secret.txt", 400), ("/%2e%2e/secret.txt", 400), ("/snapshots/../../secret.txt", 400),
    ("/snapshots/..%2f..%2fsecret.txt", 400), ("/.reportgen.lock", 404), ("/snapshot.duckdb", 404),
    ("/latest/../../secret.txt", 400), ("/../../../../etc/passwd", 400),
])
def test_nothing_outside_out(nginx, target, expected):
    port, out, snapshot_id = nginx
    status, _, body = get(port, target)
    assert status == expected
    assert b"TOP SECRET" not in body and b"root:" not in body
    assert get(port, f"/snapshots/{snapshot_id}/snapshot.duckdb")[0] == 404


def test_short_load_with_auth_on(nginx):
    port, _, _ = nginx
    total, started = 400, time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: get(port, "/api/requests/page-1.json")[0], range(total)))
    elapsed = time.monotonic() - started
    assert statuses == [200] * total
    ARTIFACTS.mkdir(exist_ok=True)
    rate = total / elapsed
    (ARTIFACTS / "nginx-load.txt").write_text(f"{total} requests with basic auth (bcrypt cost 8) in "
                                              f"{elapsed:.2f} s: {rate:.0f} requests/s\n")
    print(f"nginx with basic auth: {rate:.0f} requests/s")
