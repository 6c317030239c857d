"""The one route table: which file of OUT answers a URL, and the headers every answer carries.

`reportgen serve` runs it (resolve() below) and servers.py writes it as nginx, Apache and Caddy
configuration, so the same request gets the same answer everywhere; tests/test_routes.py sends
one table of requests, hostile ones included, to all four and compares status and file.

The table:
- `/<path>` is `OUT/latest/<path>`; `/snapshots/<id>/<path>` is `OUT/snapshots/<id>/<path>` (the
  permanent links in e-mails). A URL ending in `/` is that folder's `index.html`; a folder asked
  for without its slash is redirected (301) to it, so the page's relative links work.
- Hidden: any path segment starting with `.` (the lock, staging folders, .htpasswd) and anything
  named `*.duckdb` (the snapshot database), whatever follows it: 404.
- The original dashboard's endpoints, on latest only: `/api/requests`, `/api/inference-calls` and
  `/api/user-summary`; and `/requests/find`, the find form's target (on snapshots too, below),
  which answers the same way with the HTML pages (`requests/<id>.html`, `requests/page-N.html`).
  Their query string must be plain `name=value` pairs of `[A-Za-z0-9_.-]`, naming `page`,
  `usage_id` and `user_id` once at most (else 404: anything percent-encoded is asked for by its
  file's path instead). A `usage_id` that is not empty picks
  `api/requests/<id>.json` or `api/inference-calls/by-usage/<id>.json` (`/requests/find`:
  `requests/<id>.html`) when the id is its own file name (see ID_FILE_NAME; any other id: 404);
  else `page` (a whole number from 1, anything else means 1) picks `page-N.json` (`.html`).
- `/users/find?user_id=ID`, the user find form's target (the same rules for the query and the
  id): a 302 redirect to `/users/ID/page-1.html`, that user's page, which sits a folder deeper and
  so needs its own URL for its relative links; no id, or any other: 404.
- The find forms are on every snapshot's pages, so `/snapshots/<id>/requests/find` and
  `/snapshots/<id>/users/find` answer the same way inside that snapshot (the dashboard's
  `/api/...` endpoints are on latest only).
- Authentication is checked before any of this: without valid credentials every URL is 401.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# One policy for every server and for `reportgen serve`: no inline script or style at all.
# Forms may only be sent to the site itself (the find forms). Scripts, their WebAssembly, workers
# and fetches only from the site itself: search.html's Pagefind (site/search.py), the one page
# with a script, compiles its WebAssembly ('wasm-unsafe-eval', which allows no eval of text).
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; "
                           "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-cache",
}
REALM = "reportgen"

# The patterns below are written once and pasted into every server's config: they must stay in
# the regex dialect common to Python, PCRE (nginx, Apache) and RE2 (Caddy).
HIDDEN_PATH = r"(^|/)\.|\.duckdb(/|$)"
PLAIN_QUERY = r"^([A-Za-z0-9_.-]+=[A-Za-z0-9_.-]*(&[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]*)*)?$"
ID_FILE_NAME = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$"  # an id that is its own file name (site/urls.py)
RESERVED_NAME = r"^([Pp][Aa][Gg][Ee]-[0-9]+|[Ii][Nn][Dd][Ee][Xx])$"  # names the site uses itself
PAGE_NUMBER = r"^[1-9][0-9]{0,8}$"
AMBIGUOUS_QUERY = r"(^|&)page=.*&page=|(^|&)usage_id=.*&usage_id=|(^|&)user_id=.*&user_id="


@dataclass(frozen=True)
class ApiRoute:
    url: str  # the original dashboard's endpoint
    pages: str  # folder of its page-N files
    by_usage: str | None  # folder of its ?usage_id= files; None where the endpoint has no such filter
    suffix: str = ".json"  # of the files it answers with


# the find form's target: a request's page by its id (templates/_find.html); inside requests/, so
# that the relative links of the page it answers with resolve as they do at the page's own URL
FIND = "/requests/find"
API_ROUTES = (
    ApiRoute("/api/requests", "api/requests", "api/requests"),
    ApiRoute("/api/inference-calls", "api/inference-calls", "api/inference-calls/by-usage"),
    ApiRoute("/api/user-summary", "api/user-summary", None),
    ApiRoute(FIND, "requests", "requests", ".html"),
)
# the user find form's target (templates/_find.html): redirects to USER_PAGE of the id
USER_FIND = "/users/find"
USER_PAGE = "/users/{}/page-1.html"
SNAPSHOTS_PREFIX = "/snapshots/"


def query_value(query: str, name: str) -> str | None:
    """The value of the `name=` pair (the query is plain and names it once at most)."""
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == name:
            return value
    return None


def api_file(url_path: str, query: str) -> str | None:
    """For a dashboard endpoint: the file (relative to latest) that answers it, or None for 404.
    Call only with a url_path that is one of API_ROUTES."""
    route = next(r for r in API_ROUTES if r.url == url_path)
    if not re.match(PLAIN_QUERY, query) or re.search(AMBIGUOUS_QUERY, query):
        return None
    if route.by_usage:
        usage_id = query_value(query, "usage_id")
        if usage_id:
            return f"{route.by_usage}/{usage_id}{route.suffix}" if is_own_file_name(usage_id) else None
    page = query_value(query, "page") or ""
    return f"{route.pages}/page-{page if re.match(PAGE_NUMBER, page) else 1}{route.suffix}"


def is_own_file_name(identifier: str) -> bool:
    """An id whose file is named after it (any other's is encoded, see site/urls.py id_stem)."""
    return bool(re.match(ID_FILE_NAME, identifier)) and not re.match(RESERVED_NAME, identifier)


def user_find_location(query: str) -> str | None:
    """Where /users/find sends its query: the named user's page, or None for 404."""
    if not re.match(PLAIN_QUERY, query) or re.search(AMBIGUOUS_QUERY, query):
        return None
    user_id = query_value(query, "user_id")
    return USER_PAGE.format(user_id) if user_id and is_own_file_name(user_id) else None


def is_api_url(url_path: str) -> bool:
    return any(r.url == url_path for r in API_ROUTES)
