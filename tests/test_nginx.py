"""The generated nginx config on a real Debian nginx, started by the test on a loopback port,
with the generated htpasswd: auth, the query-string API, gzip, security headers on 200/401/404,
nothing outside OUT, `nginx -t`, and a short bounded load recording requests per second."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hosting import PASSWORD, USER, basic, published_out, raw_request

from reportgen.hosting.routes import SECURITY_HEADERS
from reportgen.hosting.servers import server_config

pytestmark = pytest.mark.integration
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    tmp = tmp_path_factory.mktemp("nginx")
    out, htpasswd, snapshot_id = published_out(tmp)
    (tmp / "secret.txt").write_text("TOP SECRET outside OUT")
    port = free_port()
    (tmp / "reportgen.conf").write_text(server_config("nginx", out, htpasswd, listen=f"127.0.0.1:{port}",
                                                      server_name="localhost"))
    for folder in ("logs", "temp"):
        (tmp / folder).mkdir()
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read OUT under pytest's 0700 tmp
    (tmp / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/logs/error.log;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {tmp}/temp/body;
    proxy_temp_path {tmp}/temp/proxy;
    fastcgi_temp_path {tmp}/temp/fastcgi;
    uwsgi_temp_path {tmp}/temp/uwsgi;
    scgi_temp_path {tmp}/temp/scgi;
    include {tmp}/reportgen.conf;
}}
""")
    command = [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
    yield port, out, snapshot_id
    process.terminate()
    process.wait(10)


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


def test_query_string_api_urls(nginx):
    port, _, _ = nginx
    first = json.loads(get(port, "/api/requests")[2])
    assert first["page"] == 1
    assert json.loads(get(port, "/api/requests?page=2")[2])["page"] == 2
    assert json.loads(get(port, "/api/user-summary?page=1")[2])["page"] == 1
    assert json.loads(get(port, "/api/inference-calls?page=3")[2])["page"] == 3
    request_id = next(i["id"] for i in first["items"] if i["id"].isalnum())
    assert json.loads(get(port, f"/api/requests?usage_id={request_id}")[2])["id"] == request_id
    calls = json.loads(get(port, f"/api/inference-calls?usage_id={request_id}")[2])
    assert calls["request_id"] == request_id and calls["items"]
    # "page-1" is a reserved name, never taken as an id's file
    assert get(port, "/api/requests?usage_id=page-1")[2] == get(port, "/api/requests")[2]


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


@pytest.mark.parametrize("target", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/snapshots/../../secret.txt", "/snapshots/..%2f..%2fsecret.txt",
    "/.reportgen.lock", "/snapshot.duckdb", "/latest/../../secret.txt", "/../../../../etc/passwd",
])
def test_nothing_outside_out(nginx, target):
    port, out, snapshot_id = nginx
    status, _, body = get(port, target)
    assert status in (400, 404), (target, status)
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
