"""Every output path of the site and the JSON API, links between them, and safe file names
for ids. Nothing else in reportgen builds a path or a link by hand."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import quote

SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,100}")
# Names the site uses for itself; an id spelled like one is encoded so it cannot collide.
RESERVED = re.compile(r"page-[0-9]+|index", re.IGNORECASE)
ENCODED_PREFIX = "~"
DIGEST_PREFIX = "~~"
MAX_ENCODED = 200  # longer encodings would pass NAME_MAX (255 bytes) with their extension
LONG_IDS = "api/long-ids.json"  # digest name -> id, for the ids too long to encode

ID_ENCODING = {
    "safe": "an id matching [A-Za-z0-9_.-]{1,100}, not starting with '.', and not 'index' or "
            "'page-N', is used as the file name as it is",
    "other": "'~' followed by the unpadded base64url of the id's UTF-8 bytes: remove the '~', pad, decode",
    "long": f"an id whose base64url is longer than {MAX_ENCODED} characters (over 150 bytes): '~~' followed "
            f"by the sha256 of its UTF-8 bytes in hex; {LONG_IDS} maps each such name to its id",
    "example": {"a b/c": "~YSBiL2M"},
}


def id_stem(identifier: str) -> str:
    """The file name (without extension) for an id: always one path segment of at most 200 bytes."""
    if SAFE_ID.fullmatch(identifier) and not identifier.startswith(".") and not RESERVED.fullmatch(identifier):
        return identifier
    data = identifier.encode("utf-8", "surrogatepass")
    encoded = base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
    if len(encoded) <= MAX_ENCODED:
        return ENCODED_PREFIX + encoded
    return DIGEST_PREFIX + hashlib.sha256(data).hexdigest()


def id_from_stem(stem: str, long_ids: dict[str, str] | None = None) -> str:
    """The inverse of id_stem; a digest name needs the api/long-ids.json mapping."""
    if stem.startswith(DIGEST_PREFIX):
        if long_ids is None or stem not in long_ids:
            raise KeyError(f"{stem} is a digest: look it up in {LONG_IDS}")
        return long_ids[stem]
    if not stem.startswith(ENCODED_PREFIX):
        return stem
    encoded = stem[len(ENCODED_PREFIX):]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8", "surrogatepass")


# --- JSON API -------------------------------------------------------------------------------

META = "api/meta.json"
API_CHANGES = "api/changes.json"
API_MONTHS = "api/months.json"
MANIFEST = "manifest.sha256"


def api_user_page(number: int) -> str:
    return f"api/user-summary/page-{number}.json"


def api_request_page(number: int) -> str:
    return f"api/requests/page-{number}.json"


def api_request(request_id: str) -> str:
    return f"api/requests/{id_stem(request_id)}.json"


def api_call_page(number: int) -> str:
    return f"api/inference-calls/page-{number}.json"


def api_calls_by_usage(request_id: str) -> str:
    return f"api/inference-calls/by-usage/{id_stem(request_id)}.json"


# --- HTML -------------------------------------------------------------------------------------

INDEX = "index.html"
STYLESHEET = "assets/style.css"
SEARCH = "search.html"
SEARCH_SCRIPT = "assets/search.js"  # starts Pagefind's search box on search.html (site/search.py)
HELP = "help.html"
API_DOCS = "api.html"
CHANGES = "changes.html"
MONTHS = "months.html"
# not files: the find forms' targets, answered by the route table (hosting/routes.py)
FIND = "requests/find"
USER_FIND = "users/find"
DISCREPANCIES = "discrepancies/index.html"
QUALITY = "quality/index.html"


def users_page(number: int) -> str:
    return f"users/page-{number}.html"


def user(user_id: str, number: int = 1) -> str:
    """A user's page; page N lists the Nth page of their requests."""
    return f"users/{id_stem(user_id)}/page-{number}.html"


def requests_page(number: int) -> str:
    return f"requests/page-{number}.html"


def request(request_id: str) -> str:
    return f"requests/{id_stem(request_id)}.html"


def calls_page(number: int) -> str:
    return f"calls/page-{number}.html"


def calls_by_usage(request_id: str) -> str:
    """The static form of the original dashboard's inference calls ?usage_id= filter."""
    return f"calls/by-usage/{id_stem(request_id)}.html"


def discrepancy_page(kind: str, number: int) -> str:
    return f"discrepancies/{kind}/page-{number}.html"


# --- CSV exports, one per list --------------------------------------------------------------

CSV_REQUESTS = "csv/requests.csv"
CSV_CALLS = "csv/inference-calls.csv"
CSV_USERS = "csv/user-summary.csv"
CSV_REJECTED = "csv/rejected-rows.csv"
CSV_MONTHS = "csv/months.csv"


def csv_discrepancies(kind: str) -> str:
    return f"csv/discrepancies-{kind}.csv"


def rejected_page(number: int) -> str:
    return f"quality/page-{number}.html"


SAFE_PATH = re.compile(r"[A-Za-z0-9_./~-]*")


def to_root(from_path: str) -> str:
    """What leads from an output file to the site's root folder ("" at the root, "../" one deep)."""
    return "../" * from_path.count("/")


def link(from_path: str, to_path: str) -> str:
    """A relative, URL-quoted link from one output file to another, so the site works from any
    base URL (latest/, snapshots/<id>/) and from the file system. Both are paths as built here:
    relative, '/'-separated, never '..' (a hot path: called for every link of every page)."""
    here = from_path.split("/")[:-1]
    there = to_path.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    relative = "../" * (len(here) - common) + "/".join(there[common:])
    return relative if SAFE_PATH.fullmatch(relative) else quote(relative, safe="/~._-")
