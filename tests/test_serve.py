"""`reportgen serve`: same URL mapping and auth as nginx; attacks on paths and on the
Authorization header get only 200/400/401/404, never a 500 or a file from outside OUT."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import socket
import struct
import threading
import time

import pytest
from click.testing import CliRunner
from hosting import PASSWORD, USER, basic, published_out, raw_request

from reportgen import cli
from reportgen.hosting import htpasswd
from reportgen.hosting import serve as serve_module
from reportgen.hosting.routes import SECURITY_HEADERS
from reportgen.hosting.serve import ServeError, make_server
from reportgen.site import urls


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    out, htpasswd, snapshot_id = published_out(tmp)
    (tmp / "secret.txt").write_text("TOP SECRET outside OUT")
    os.symlink(tmp / "secret.txt", out / "latest" / "escape.txt")  # a symlink out of OUT
    httpd = make_server(out, "127.0.0.1", 0, htpasswd)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], out, snapshot_id
    httpd.shutdown()
    httpd.server_close()


def get(port, target, auth=True, **headers):
    if auth:
        headers["Authorization"] = basic(USER, PASSWORD)
    return raw_request(port, target, headers)


def test_auth_required_and_checked(server):
    port, _, _ = server
    assert get(port, "/", auth=False)[0] == 401
    assert get(port, "/", auth=False, Authorization=basic(USER, "wrong"))[0] == 401
    assert get(port, "/", auth=False, Authorization=basic("mallory", PASSWORD))[0] == 401
    assert get(port, "/", auth=False, Authorization=basic("bob", PASSWORD))[0] == 401  # another's password
    status, headers, body = get(port, "/")
    assert status == 200 and b"<h1>" in body and headers["content-type"].startswith("text/html")
    assert get(port, "/", auth=False)[1]["www-authenticate"].startswith("Basic")


def test_permanent_snapshot_urls_and_api_query_strings(server):
    port, out, snapshot_id = server
    assert get(port, f"/snapshots/{snapshot_id}/index.html")[0] == 200
    assert get(port, f"/snapshots/{snapshot_id}/")[0] == 200
    request_id = json.loads(get(port, "/api/requests?page=1")[2])["items"][0]["id"]
    doc = json.loads(get(port, f"/api/requests?usage_id={request_id}")[2])
    assert doc["id"] == request_id
    calls = json.loads(get(port, f"/api/inference-calls?usage_id={request_id}")[2])
    assert calls["request_id"] == request_id
    assert json.loads(get(port, "/api/user-summary")[2])["page"] == 1
    assert json.loads(get(port, "/api/inference-calls?page=2")[2])["page"] == 2
    unsafe = "../escape"  # the demo holds this id: asked for by its encoded path, as on every server
    assert get(port, "/api/requests?usage_id=..%2Fescape")[0] == 404
    assert json.loads(get(port, "/" + urls.api_request(unsafe))[2])["id"] == unsafe
    assert get(port, "/api/requests?page=99999")[0] == 404


def test_gzip_served_when_asked(server):
    port, out, _ = server
    status, headers, body = get(port, "/api/requests/page-1.json", **{"Accept-Encoding": "gzip, br"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(body))["page"] == 1
    status, headers, body = get(port, "/api/requests/page-1.json")
    assert "content-encoding" not in headers and json.loads(body)["page"] == 1


def test_same_security_headers_on_200_401_404(server):
    port, _, _ = server
    replies = [get(port, "/"), get(port, "/", auth=False), get(port, "/no-such-page.html")]
    assert [r[0] for r in replies] == [200, 401, 404]
    for _, headers, _ in replies:
        for name, value in SECURITY_HEADERS.items():
            assert headers[name.lower()] == value


ATTACKS = [
    "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
    "/%252e%252e/%252e%252e/etc/passwd", "/snapshots/..%2f..%2f..%2fetc/passwd", "/snapshots/../../etc/passwd",
    "/a%5c..%5c..%5cetc%5cpasswd", "/index.html%00.json", "/%00", "//etc/passwd", "/escape.txt",
    "/.reportgen.lock", "/snapshots/.tmp-x/index.html", "/snapshot.duckdb", "/api/", "/snapshots/",
    "/assets", "http://evil.example/", "/%ff%fe", "/" + "a" * 5000, "/api/requests?usage_id=../../etc/passwd",
    "/latest/../../secret.txt", "/requests/..;/..;/etc/passwd",
]


@pytest.mark.parametrize("target", ATTACKS)
def test_path_attacks(server, target):
    port, _, _ = server
    status, headers, body = get(port, target)
    assert b"root:" not in body and b"TOP SECRET" not in body
    if status == 301:  # only a folder to its own slash URL: never elsewhere
        assert headers["location"] == target + "/" and target == "/assets"
    else:
        assert status in (200, 400, 404), (target, status)
        assert "location" not in headers
    if status == 200:
        assert body.startswith((b"<!DOCTYPE", b"{"))


def test_no_directory_listing(server):
    port, _, _ = server
    status, _, body = get(port, "/api/requests/")
    assert status == 404 and b"page-1.json" not in body


def test_fuzzed_authorization_headers(server):
    port, _, _ = server
    rng = random.Random(1234)
    samples = ["", "Basic", "Basic ", "Basic ===", "Bearer abc", "basic " + basic(USER, PASSWORD)[6:],
               "Basic " + "A" * 10000, "Basic " + "é" * 10, "Basic " + basic(USER, PASSWORD)[6:] + "=",
               basic(USER, PASSWORD + " "), basic(USER.upper(), PASSWORD), basic(USER, ""), basic("", "")]
    for _ in range(60):
        n = rng.randrange(0, 60)
        samples.append("Basic " + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/=:-_ ")
                                          for _ in range(n)))
        samples.append("".join(chr(rng.randrange(32, 127)) for _ in range(n)))
    for value in samples:
        status, _, _ = raw_request(port, "/index.html", {"Authorization": value})
        expected = {200} if value.lower() == basic(USER, PASSWORD).lower() and value.startswith("basic ") else {401}
        assert status in expected, (value, status)


def test_malformed_requests_get_400(server):
    port, _, _ = server
    credentials = f"Authorization: {basic(USER, PASSWORD)}\r\n".encode()
    for raw, expected in ((b"GARBAGE\r\n\r\n", 400), (b"GET / HTTP/9.9\r\n\r\n", 400),
                          (b"GET /\x00 HTTP/1.1\r\n\r\n", 401),  # a parsable request: credentials first
                          (b"GET /\x00 HTTP/1.1\r\n" + credentials + b"\r\n", 400)):
        status, headers, _ = raw_request(port, "", raw=raw)
        assert status == expected, raw
        assert headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]


def test_out_htpasswd_is_used_by_default(server, tmp_path):
    _, out, _ = server
    other = tmp_path / "out"
    shutil.copytree(out, other, symlinks=True)
    htpasswd.add_user(other / ".htpasswd", USER, PASSWORD, cost=8)
    httpd = make_server(other, "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        port = httpd.server_address[1]
        assert raw_request(port, "/")[0] == 401
        assert raw_request(port, "/", {"Authorization": basic(USER, PASSWORD)})[0] == 200
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_without_any_htpasswd_only_loopback_is_served(server):
    _, out, _ = server
    for host in ("0.0.0.0", "::", "192.0.2.1"):
        with pytest.raises(ServeError, match="without authentication"):
            make_server(out, host, 0)
    make_server(out, "127.0.0.1", 0).server_close()
    result = CliRunner().invoke(cli.main, ["serve", str(out), "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == cli.EXIT_USAGE
    assert result.stderr.startswith("reportgen: refusing to serve") and result.stderr.count("\n") == 1


def test_idle_and_reset_connections_are_closed_quietly(server, monkeypatch, capfd):
    _, out, _ = server
    monkeypatch.setattr(serve_module, "IDLE_SECONDS", 1)
    httpd = make_server(out, "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as idle:
            idle.sendall(b"GET /")  # an unfinished HTTP/0.9 request line
            started = time.monotonic()
            assert idle.recv(100) == b""  # closed by the server
            assert time.monotonic() - started < 5
        for _ in range(5):
            reset = socket.create_connection(("127.0.0.1", port), timeout=10)
            reset.sendall(b"GET /api/requests/page-1.json HTTP/1.1\r\nHost: x\r\n\r\n")
            reset.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            reset.close()  # RST instead of FIN
        time.sleep(0.5)
        assert raw_request(port, "/")[0] == 200  # still serving
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "Traceback" not in capfd.readouterr().err
