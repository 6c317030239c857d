"""`reportgen serve`: a preview server for OUT that runs the route table of routes.py, with the
same headers and basic auth as the generated nginx, Apache and Caddy configs. Loopback by
default; serves only regular files whose real path is inside their snapshot; answers 200, 301
(a folder without its slash), 302 (a user found), 400, 401, 404 or 405: never a listing or a file outside OUT."""

from __future__ import annotations

import base64
import binascii
import http.server
import ipaddress
import mimetypes
import os
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import routes
from .htpasswd import check_password, hash_password, read_htpasswd
from .routes import REALM, SECURITY_HEADERS

TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json", ".css": "text/css; charset=utf-8",
         ".svg": "image/svg+xml", ".sha256": "text/plain; charset=utf-8"}


class BadRequest(Exception):
    pass


class ServeError(Exception):
    """The preview server cannot start (address in use, no permission for the port)."""


class Redirect(Exception):
    """A folder asked for without its trailing slash (301 to the URL with it), or the user find
    form's target (302 to the user's page)."""

    def __init__(self, location: str, status: int = 301):
        super().__init__(location)
        self.location = location
        self.status = status


def resolve(out: Path, raw_path: str, query: str) -> Path | None:
    """The file the route table (routes.py) gives a request, or None (404). Raises BadRequest for
    paths no file can have (NUL, backslash, dot segments, bad percent-encoding) and Redirect for
    a folder without its slash."""
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        raise BadRequest("bad percent-encoding") from None
    if "\0" in path or "\\" in path or not path.startswith("/"):
        raise BadRequest("bad characters in path")
    path = re.sub("/+", "/", path)  # as nginx, Apache and Caddy merge slashes
    if any(p in (".", "..") for p in path.split("/")):
        raise BadRequest("dot segments in path")
    if re.search(routes.HIDDEN_PATH, path):
        return None
    if routes.is_api_url(path) and path != routes.FIND:  # the dashboard's endpoints: latest only
        relative = routes.api_file(path, query)
        return _file_in(out / "latest", relative) if relative else None
    rest: str | None
    if path.startswith(routes.SNAPSHOTS_PREFIX):
        snapshot_id, slash, rest = path[len(routes.SNAPSHOTS_PREFIX):].partition("/")
        if not snapshot_id:
            return None
        base, prefix = out / "snapshots" / snapshot_id, routes.SNAPSHOTS_PREFIX + snapshot_id
        rest = rest if slash else None  # /snapshots/<id>: the folder without its slash
    else:
        base, prefix, rest = out / "latest", "", path[1:]
    if rest is not None and "/" + rest == routes.FIND:  # the find forms: in the snapshot they are on
        relative = routes.api_file(routes.FIND, query)
        return _file_in(base, relative) if relative else None
    if rest is not None and "/" + rest == routes.USER_FIND:
        location = routes.user_find_location(query)
        if location is None:
            return None
        raise Redirect(prefix + location, 302)
    if rest is not None and (rest == "" or rest.endswith("/")):
        return _file_in(base, rest + "index.html")
    if _is_dir(base if rest is None else base / rest):
        raise Redirect(path + "/")
    return _file_in(base, rest) if rest else None


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _file_in(base: Path, relative: str) -> Path | None:
    """base/relative when it is a regular file reached without any symlink below base (latest
    itself is one), as nginx's disable_symlinks does."""
    try:
        real, root = os.path.realpath(base / relative), os.path.realpath(base)
        if real != os.path.join(root, relative) or not os.path.isfile(real):
            return None
    except (OSError, ValueError):  # a name too long for the file system, and the like: no such file
        return None
    return Path(real)


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "reportgen"
    sys_version = ""
    out: Path
    users: dict[str, str] | None
    quiet = True

    # a hash to check against for unknown users, so a wrong user costs as much time as a
    # wrong password and the two cannot be told apart
    _dummy_hash = hash_password("reportgen-no-such-user", 9)

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _not_allowed(self) -> None:
        self._reply(405, b"method not allowed\n", "text/plain; charset=utf-8", extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _serve(self, body: bool) -> None:
        if not self._authorised():
            self._reply(401, b"authentication required\n", "text/plain; charset=utf-8",
                        extra={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'}, body=body)
            return
        parts = urlsplit(self.path)
        try:
            target = resolve(self.out, parts.path, parts.query)
        except BadRequest as e:
            self._reply(400, f"bad request: {e}\n".encode(), "text/plain; charset=utf-8", body=body)
            return
        except Redirect as e:
            self._reply(e.status, b"moved\n", "text/plain; charset=utf-8", extra={"Location": e.location}, body=body)
            return
        if target is None:
            self._reply(404, b"not found\n", "text/plain; charset=utf-8", body=body)
            return
        content_type = TYPES.get(target.suffix, mimetypes.guess_type(target.name)[0] or "application/octet-stream")
        extra = {"Vary": "Accept-Encoding"}
        gz = target.with_name(target.name + ".gz")
        if "gzip" in self.headers.get("Accept-Encoding", "") and gz.is_file():
            target, extra["Content-Encoding"] = gz, "gzip"
        self._reply(200, target.read_bytes(), content_type, extra=extra, body=body)

    def _authorised(self) -> bool:
        if self.users is None:
            return True
        header = self.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        user, sep, password = decoded.partition(":")
        known = self.users.get(user) if scheme.lower() == "basic" and sep else None
        # always one bcrypt check, whatever was wrong
        matches = check_password(known or self._dummy_hash, password)
        return known is not None and matches

    def _reply(self, code: int, data: bytes, content_type: str, extra: dict | None = None, body: bool = True) -> None:
        self.send_response(code)
        for name, value in {**SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors from the request parser itself (bad request line, headers) get the same headers."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"  # always answer with a status line and headers
        self._reply(code if code in (400, 404, 405, 414, 431) else 400, b"bad request\n", "text/plain; charset=utf-8")

    def log_message(self, format: str, *args: object) -> None:
        if not self.quiet:
            super().log_message(format, *args)


IDLE_SECONDS = 15  # a connection that sends nothing for this long is closed


class ReportServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that resets or stalls is its own business: no traceback on stderr."""
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def make_server(out: Path, host: str = "127.0.0.1", port: int = 8000, htpasswd: Path | None = None,
                quiet: bool = True) -> ReportServer:
    """A server for OUT, checking users against `htpasswd` (default OUT/.htpasswd when it exists).
    Without any htpasswd it serves loopback only: never the report to the network unauthenticated."""
    default = out / ".htpasswd"
    if htpasswd is None and default.is_file():
        htpasswd = default
    if htpasswd is not None and not htpasswd.is_file():
        raise ServeError(f"no htpasswd file {htpasswd}: create it with reportgen auth add USER")
    if htpasswd is None and not _is_loopback(host):
        raise ServeError(f"refusing to serve {out} on {host} without authentication: run "
                         "`reportgen auth add USER` first, or listen on 127.0.0.1")
    users = read_htpasswd(htpasswd) if htpasswd else None
    handler = type("ReportHandler", (Handler,), {"out": out.resolve(), "users": users, "quiet": quiet,
                                                 "timeout": IDLE_SECONDS})
    try:
        return ReportServer((host, port), handler)
    except OSError as e:
        raise ServeError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
