"""One route table, four servers: the same requests (hostile ones included) sent to `reportgen
serve` and to a real nginx, Apache and Caddy running the configs `reportgen auth config` writes
must get the same status and the same file, or the same redirect."""

from __future__ import annotations

import os
import pwd
import re
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest
from hosting import PASSWORD, USER, basic, raw_request
from real_servers import SERVERS, published_for_workers

from reportgen.hosting import routes
from reportgen.hosting.routes import SECURITY_HEADERS
from reportgen.site import urls

pytestmark = pytest.mark.integration

ESCAPE = "../escape"  # an id of the demo data that is not a safe file name

# (target, status, file under OUT for 200 / Location path for 301 and 302); {sid} = the snapshot,
# {rid} = a request and {uid} a user whose id is its own file name
TABLE = [
    ("/", 200, "latest/index.html"),
    ("/index.html", 200, "latest/index.html"),
    ("//index.html", 200, "latest/index.html"),
    ("/requests/page-1.html", 200, "latest/requests/page-1.html"),
    ("/requests/{rid}.html", 200, "latest/requests/{rid}.html"),
    ("/" + urls.request(ESCAPE), 200, "latest/" + urls.request(ESCAPE)),
    ("/assets/style.css", 200, "latest/assets/style.css"),
    ("/api/meta.json", 200, "latest/api/meta.json"),
    ("/manifest.sha256", 200, "latest/manifest.sha256"),
    ("/snapshots/{sid}/", 200, "snapshots/{sid}/index.html"),
    ("/snapshots/{sid}/api/requests/page-1.json", 200, "snapshots/{sid}/api/requests/page-1.json"),
    # the original dashboard's endpoints
    ("/api/requests", 200, "latest/api/requests/page-1.json"),
    ("/api/requests?page=2", 200, "latest/api/requests/page-2.json"),
    ("/api/requests?page=0", 200, "latest/api/requests/page-1.json"),
    ("/api/requests?page=abc", 200, "latest/api/requests/page-1.json"),
    ("/api/requests?page=2&page=3", 404, None),
    ("/api/requests?page=99999", 404, None),
    ("/api/user-summary?page=1", 200, "latest/api/user-summary/page-1.json"),
    ("/api/inference-calls?page=2", 200, "latest/api/inference-calls/page-2.json"),
    ("/api/requests?usage_id={rid}", 200, "latest/api/requests/{rid}.json"),
    ("/api/requests?page=3&usage_id={rid}", 200, "latest/api/requests/{rid}.json"),
    ("/api/inference-calls?usage_id={rid}", 200, "latest/api/inference-calls/by-usage/{rid}.json"),
    ("/api/user-summary?usage_id={rid}", 200, "latest/api/user-summary/page-1.json"),
    ("/api/requests?usage_id=", 200, "latest/api/requests/page-1.json"),
    ("/api/requests?usage_id=&usage_id={rid}", 404, None),
    ("/api/requests?usage_id={rid}&usage_id={rid}", 404, None),
    ("/api/requests?usage_id=no-such-request", 404, None),
    ("/api/requests?usage_id=page-1", 404, None),
    ("/api/requests?usage_id=INDEX", 404, None),
    ("/api/requests?usage_id=..%2Fescape", 404, None),
    ("/api/requests?usage_id=../escape", 404, None),
    ("/api/requests?usage_id=%2e%2e", 404, None),
    ("/api/requests?usage_id=.hidden", 404, None),
    ("/api/requests?usage_id=" + "a" * 101, 404, None),
    ("/api/requests?usage_id=a%00b", 404, None),
    ("/api/requests?usage_id={rid};x", 404, None),
    ("/api/requests?usage_id", 404, None),
    ("/api/requests?page=1&x=%20", 404, None),
    ("/api/inference-calls?usage_id=../../etc/passwd", 404, None),
    # the find form's target: the same table, answered with the HTML pages
    ("/requests/find?usage_id={rid}", 200, "latest/requests/{rid}.html"),
    ("/requests/find", 200, "latest/requests/page-1.html"),
    ("/requests/find?page=2", 200, "latest/requests/page-2.html"),
    ("/requests/find?usage_id=", 200, "latest/requests/page-1.html"),
    ("/requests/find?usage_id=no-such-request", 404, None),
    ("/requests/find?usage_id=../escape", 404, None),
    ("/requests/find?usage_id=a%20b", 404, None),
    # the find forms of a snapshot's pages (the e-mailed permanent links): inside that snapshot
    ("/snapshots/{sid}/requests/find?usage_id={rid}", 200, "snapshots/{sid}/requests/{rid}.html"),
    ("/snapshots/{sid}/requests/find", 200, "snapshots/{sid}/requests/page-1.html"),
    ("/snapshots/{sid}/requests/find?page=2", 200, "snapshots/{sid}/requests/page-2.html"),
    ("/snapshots/{sid}/requests/find?usage_id=../escape", 404, None),
    ("/snapshots/{sid}/requests/find?usage_id=a%20b", 404, None),
    ("/snapshots/{sid}/requests/find?usage_id=no-such-request", 404, None),
    ("/snapshots/no-such-snapshot/requests/find?usage_id={rid}", 404, None),
    ("/snapshots/.tmp-x/requests/find?usage_id={rid}", 404, None),
    ("/snapshots/{sid}/api/requests?usage_id={rid}", 301, "/snapshots/{sid}/api/requests/"),  # a folder
    # the user find form's target: a redirect to the user's page (which need not exist)
    ("/users/find?user_id={uid}", 302, "/users/{uid}/page-1.html"),
    ("/users/find?x=1&user_id={uid}", 302, "/users/{uid}/page-1.html"),
    ("/users/find?user_id=no-such-user", 302, "/users/no-such-user/page-1.html"),
    ("/users/no-such-user/page-1.html", 404, None),
    ("/users/find", 404, None),
    ("/users/find?user_id=", 404, None),
    ("/users/find?user_id={uid}&user_id={uid}", 404, None),
    ("/users/find?user_id=../escape", 404, None),
    ("/users/find?user_id=a%40b", 404, None),
    ("/users/find?user_id=page-2", 404, None),
    ("/snapshots/{sid}/users/find?user_id={uid}", 302, "/snapshots/{sid}/users/{uid}/page-1.html"),
    ("/snapshots/{sid}/users/find?user_id=../escape", 404, None),
    ("/snapshots/{sid}/users/find", 404, None),
    # hidden files and the snapshot database
    ("/snapshot.duckdb", 404, None),
    ("/snapshot.duckdb/", 404, None),
    ("/snapshot.duckdb%2F", 404, None),
    ("//snapshot.duckdb/", 404, None),
    ("/snapshots/{sid}/snapshot.duckdb", 404, None),
    ("/snapshots/{sid}/snapshot.duckdb/", 404, None),
    ("/snapshots/.tmp-x/index.html", 404, None),
    ("/.reportgen-not-found", 404, None),
    # folders: an index or 404, never a listing; without the slash, a redirect to it
    ("/snapshots/", 404, None),
    ("/api/", 404, None),
    ("/api/requests/", 404, None),
    ("/index.html/", 404, None),
    ("/snapshots/no-such-snapshot/", 404, None),
    ("/nope.html", 404, None),
    ("/snapshots/{sid}", 301, "/snapshots/{sid}/"),
    ("/requests", 301, "/requests/"),
    ("/assets", 301, "/assets/"),
]
UNAUTHENTICATED = ["/", "/nope.html", "/snapshot.duckdb", "/snapshots/{sid}", "/api/requests?usage_id=../x",
                   "/api/requests?page=1&x=%20", "/.reportgen-not-found", "/users/find?user_id={uid}",
                   "/snapshots/{sid}/users/find?user_id={uid}", "/snapshots/{sid}/requests/find?usage_id={rid}"]


@pytest.fixture(scope="module")
def hosted():
    with published_for_workers("routes") as (tmp, out, htpasswd, snapshot_id):
        ids = [p.stem for p in (out / "latest" / "api" / "requests").glob("*.json")]
        request_id = sorted(i for i in ids if i.isalnum() and not i.startswith("page"))[0]
        user_id = sorted(p.name for p in (out / "latest" / "users").iterdir() if p.name.isalnum())[0]
        # symlinks planted inside the snapshot, out of it: no server may follow them
        os.symlink("/etc/passwd", out / "latest" / "passwd.html")
        os.symlink(htpasswd, out / "latest" / "htpasswd.html")
        os.symlink(out / "snapshots", out / "latest" / "all")
        for planted in ("passwd.html", "htpasswd.html", "all"):  # made by somebody else than the builder
            os.lchown(out / "latest" / planted, pwd.getpwnam("www-data").pw_uid, -1)
        with ExitStack() as running:
            ports = {name: running.enter_context(start(tmp, out, htpasswd)) for name, start in SERVERS.items()}
            yield ports, out, {"sid": snapshot_id, "rid": request_id, "uid": user_id}


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("target, status, expected", TABLE, ids=[row[0][:60] for row in TABLE])
def test_same_answer_everywhere(hosted, server, target, status, expected):
    ports, out, names = hosted
    got_status, headers, body = raw_request(ports[server], target.format(**names),
                                            {"Authorization": basic(USER, PASSWORD)})
    assert got_status == status
    if status == 200:
        assert body == (out / expected.format(**names)).read_bytes()
    if status in (301, 302):
        assert urlsplit(headers["location"]).path == expected.format(**names)
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name.lower()) == value, name


@pytest.mark.parametrize("server", [name for name in SERVERS if name != "caddy"])  # see README
@pytest.mark.parametrize("target", ["/passwd.html", "/htpasswd.html", "/all/", "/all/{sid}/index.html"])
def test_symlinks_inside_a_snapshot_are_not_followed(hosted, server, target):
    ports, _, names = hosted
    status, _, body = raw_request(ports[server], target.format(**names), {"Authorization": basic(USER, PASSWORD)})
    assert status in (403, 404) if server == "apache" else status == 404
    assert b"root:" not in body and b"$2y$" not in body


@pytest.mark.parametrize("server", SERVERS)
def test_authentication_comes_first(hosted, server):
    ports, _, names = hosted
    for target in UNAUTHENTICATED:
        status, headers, _ = raw_request(ports[server], target.format(**names))
        assert status == 401, target
        assert headers["www-authenticate"].startswith(f'Basic realm="{routes.REALM}"')
        wrong = raw_request(ports[server], target.format(**names), {"Authorization": basic(USER, "wrong")})
        assert wrong[0] == 401, target


def test_the_id_pattern_is_the_site_file_name_rule():
    """A ?usage_id= reaches a file exactly when the site writes that id under its own name."""
    for candidate in ["r1", "a.b-c_d", "page-1", "Index", ".x", "-x", "a/b", "é", "a" * 100, "a" * 101, "1"]:
        routed = routes.api_file("/api/requests", f"usage_id={candidate}")
        as_written = f"api/requests/{candidate}.json" if urls.id_stem(candidate) == candidate else None
        assert (routed if re.fullmatch(r"[A-Za-z0-9_.=&-]*", f"usage_id={candidate}") else None) == as_written, \
            candidate
