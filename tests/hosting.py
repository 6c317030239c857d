"""Shared by the hosting tests: a published demo OUT with an htpasswd, and raw HTTP requests."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

from reportgen import demo
from reportgen.config import load_config
from reportgen.hosting import htpasswd as auth
from reportgen.pipeline import build

USER, PASSWORD = "ann", "correct horse battery"


def published_out(tmp: Path) -> tuple[Path, Path, str]:
    """(OUT, htpasswd, snapshot id) of a small demo build with page_size 100."""
    demo.generate(tmp / "demo.db", rows=300, seed=9)
    out = tmp / "out"
    result = build(load_config(None, {"source": f"sqlite://{tmp / 'demo.db'}", "out": out}), workers=1)
    htpasswd = tmp / "htpasswd"
    auth.add_user(htpasswd, USER, PASSWORD, cost=8)
    auth.add_user(htpasswd, "bob", "other password", cost=8)
    return out, htpasswd, result.snapshot_id


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def raw_request(port: int, target: str, headers: dict[str, str] | None = None, method: str = "GET",
                raw: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """Send one request as bytes (no client-side cleaning of the target) and parse the reply."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    data = raw if raw is not None else ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    reply = b"".join(chunks)
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return status, parsed, body
