"""The htpasswd file of bcrypt hashes that every server (and `reportgen serve`) checks.

Cost: nginx and Apache check the bcrypt hash on every request (a page, its stylesheet, each JSON
file), so the cost is a latency and CPU price paid per request, not per login. Measured on the
2-core reference machine: cost 8 = 15 ms, 9 = 30 ms, 10 = 59 ms, 12 = 245 ms per check. The
default, 9, keeps a page plus its stylesheet near 60 ms of CPU while still costing an attacker
2^9 rounds per guess; raise it (--cost) for passwords that are not long and random."""

from __future__ import annotations

import grp
import os
import re
import tempfile
from pathlib import Path

import bcrypt

DEFAULT_COST = 9
MIN_COST, MAX_COST = 8, 14
USER_NAME = re.compile(r"[A-Za-z0-9._@+-]{1,64}")

class AuthError(ValueError):
    """A bad user name, password or htpasswd file."""


def hash_password(password: str, cost: int = DEFAULT_COST) -> str:
    if not MIN_COST <= cost <= MAX_COST:
        raise AuthError(f"bcrypt cost must be from {MIN_COST} to {MAX_COST}, got {cost}")
    if not password:
        raise AuthError("empty password")
    if len(password.encode()) > 72:
        raise AuthError("password longer than 72 bytes: bcrypt would ignore the rest")
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(cost)).decode()
    # $2y$ is the same algorithm as $2b$, and the prefix Apache's htpasswd writes and reads
    return "$2y$" + hashed[4:]


def check_password(hashed: str, password: str) -> bool:
    if not hashed.startswith(("$2y$", "$2b$", "$2a$")):
        return False  # nothing weaker than bcrypt is ever accepted
    try:
        return bcrypt.checkpw(password.encode(), ("$2b$" + hashed[4:]).encode())
    except ValueError:
        return False


def read_htpasswd(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    entries = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        user, sep, hashed = line.partition(":")
        if not sep:
            raise AuthError(f"{path}:{number}: not a 'user:hash' line")
        entries[user] = hashed
    return entries


def write_htpasswd(path: Path, entries: dict[str, str], group: str | None = None) -> None:
    """Atomically replace `path`, readable by its owner only (0600), or also by `group` (0640:
    the web server's group, e.g. www-data, whose workers check every request against it). An
    existing file keeps its group and mode when no group is given."""
    gid, mode = -1, 0o600
    if group is not None:
        try:
            gid, mode = grp.getgrnam(group).gr_gid, 0o640
        except KeyError:
            raise AuthError(f"no group {group!r} on this machine") from None
    elif path.exists():
        kept = path.stat()
        gid, mode = kept.st_gid, 0o640 if kept.st_mode & 0o040 else 0o600
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as e:
        raise AuthError(f"cannot write {path}: {e.strerror}") from None
    try:
        os.fchmod(fd, mode)
        if gid != -1:
            os.fchown(fd, -1, gid)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(f"{user}:{hashed}\n" for user, hashed in sorted(entries.items()))
        os.replace(temporary, path)
    except OSError as e:
        Path(temporary).unlink(missing_ok=True)
        raise AuthError(f"cannot write {path}: {e.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add_user(path: Path, user: str, password: str, cost: int = DEFAULT_COST, group: str | None = None) -> bool:
    """Add or replace `user`; returns True when the user already existed."""
    if not USER_NAME.fullmatch(user):
        raise AuthError(f"user name {user!r} must be 1-64 of A-Z a-z 0-9 . _ @ + -")
    entries = read_htpasswd(path)
    existed = user in entries
    entries[user] = hash_password(password, cost)
    write_htpasswd(path, entries, group)
    return existed


def remove_user(path: Path, user: str) -> None:
    entries = read_htpasswd(path)
    if user not in entries:
        raise AuthError(f"no user {user!r} in {path}")
    del entries[user]
    write_htpasswd(path, entries)
