"""A finished snapshot folder -> OUT/snapshots/<id>/ and OUT/latest, atomically.

Layout of OUT:
    .reportgen.lock           flock held for a whole build
    snapshots/.tmp-<id>/      a build in progress (removed by the next build if it was killed)
    snapshots/<id>/           one complete site; its URL never changes
    latest -> snapshots/<id>  switched with os.replace, never deleted first
"""

from __future__ import annotations

import errno
import fcntl
import functools
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

LOCK_FILE = ".reportgen.lock"
SNAPSHOTS = "snapshots"
LATEST = "latest"
STAGING_PREFIX = ".tmp-"
# the last render's rows of requests and calls, which the next build copies for the requests it
# links instead of rendering them again (site/fragments.py); hidden, beside the snapshots
RENDER_CACHE = ".render-cache.sqlite"


class LockBusy(Exception):
    """Another build holds OUT's lock."""


class PublishError(Exception):
    """OUT cannot be written or a snapshot is incomplete."""


def _writes_out(func: Callable) -> Callable:
    """OS errors while changing OUT (permissions, disk full, a file where a folder should be)
    become one PublishError line naming the path."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except OSError as e:
            where = f": {e.filename}" if e.filename else ""
            raise PublishError(f"cannot write the output folder: {e.strerror or e}{where}") from None

    return wrapper


ID_TIME_FORMAT = "%Y%m%dT%H%M%S.%fZ"


def new_snapshot_id(now: datetime | None = None, after: str | None = None) -> str:
    """Sortable (UTC time first, to the microsecond) and unique: 20261125T030702.123456Z-3f9a1c.
    Sorts after `after` (the newest existing id) even if the clock went backwards."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        newest = datetime.strptime((after or "").split("-")[0], ID_TIME_FORMAT).replace(tzinfo=UTC)
        now = max(now, newest + timedelta(microseconds=1))
    except ValueError:  # no previous snapshot, or one not named by this version
        pass
    return now.strftime(ID_TIME_FORMAT) + "-" + secrets.token_hex(3)


@contextmanager
def build_lock(out: Path, wait_seconds: float = 0) -> Iterator[None]:
    """Hold OUT's lock for the block; wait up to `wait_seconds` for it, then raise LockBusy."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = open(out / LOCK_FILE, "a+")
    except OSError as e:
        raise PublishError(f"cannot write to {out}: {e.strerror}") from None
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise LockBusy(f"another build is running on {out} (lock {out / LOCK_FILE})") from None
                time.sleep(0.1)
        yield
    finally:
        handle.close()  # closing releases the flock


@_writes_out
def staging_dir(out: Path, snapshot_id: str) -> Path:
    path = out / SNAPSHOTS / f"{STAGING_PREFIX}{snapshot_id}"
    path.mkdir(parents=True)
    return path


def clean_leftovers(out: Path) -> list[Path]:
    """Remove staging folders of builds that were killed. Call only while holding the lock."""
    removed = []
    folder = out / SNAPSHOTS
    if folder.is_dir():
        for path in folder.iterdir():
            if path.name.startswith(STAGING_PREFIX):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


@_writes_out
def publish(out: Path, staging: Path, snapshot_id: str, between: Callable[[], None] | None = None) -> Path:
    """Move a complete staging folder into place and point `latest` at it. (`between` runs
    after the rename and before the switch: the crash tests stop there.)"""
    final = out / SNAPSHOTS / snapshot_id
    # A killed process cannot leave a half-visible snapshot: the rename is atomic. Surviving power
    # loss would need an fsync per file, which would cost more than the build; not attempted.
    os.rename(staging, final)
    if between:
        between()
    point_latest(out, snapshot_id)
    return final


@_writes_out
def point_latest(out: Path, snapshot_id: str) -> None:
    """Switch OUT/latest to snapshots/<id> in one step: a new symlink renamed over the old one."""
    if not (out / SNAPSHOTS / snapshot_id).is_dir():
        raise PublishError(f"no snapshot {snapshot_id!r} in {out / SNAPSHOTS}")
    check_latest_is_a_link(out)
    temporary = out / f".{LATEST}.{secrets.token_hex(4)}"
    os.symlink(f"{SNAPSHOTS}/{snapshot_id}", temporary)
    try:
        os.replace(temporary, out / LATEST)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_dir(out)


def check_latest_is_a_link(out: Path) -> None:
    """OUT/latest must be reportgen's symlink, or absent: never replace something else there."""
    latest = out / LATEST
    if latest.exists() and not latest.is_symlink():
        raise PublishError(f"{latest} is not a symlink to a snapshot (a folder or file put there by hand?): "
                           "move it away, then build again")


def latest_id(out: Path) -> str | None:
    try:
        return Path(os.readlink(out / LATEST)).name
    except OSError:
        return None


def previous_id(out: Path) -> str:
    """The snapshot published before the one `latest` points to (for a rollback)."""
    current = latest_id(out)
    earlier = [i for i in snapshot_ids(out) if current is None or i < current]
    if not earlier:
        raise PublishError(f"no snapshot older than {current} in {out / SNAPSHOTS} to roll back to")
    return earlier[-1]


def snapshot_ids(out: Path) -> list[str]:
    """Published snapshots, oldest first."""
    folder = out / SNAPSHOTS
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def disk_use(folder: Path) -> tuple[int, int]:
    """(bytes only this snapshot holds, bytes it shares by hard link with other snapshots), as
    allocated on disk. Pruning a snapshot frees its own bytes; a shared file lives on until the
    last snapshot holding it is pruned."""
    own = shared = 0
    for directory, _, names in os.walk(folder):
        for name in names:
            st = os.lstat(os.path.join(directory, name))
            if st.st_nlink > 1:
                shared += st.st_blocks * 512
            else:
                own += st.st_blocks * 512
    return own, shared


@_writes_out
def prune(out: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` snapshots, never the one `latest` points to.
    Call only while holding the lock."""
    current = latest_id(out)
    ids = snapshot_ids(out)
    doomed = [i for i in ids[:max(0, len(ids) - keep)] if i != current]
    for snapshot_id in doomed:
        # rename first so a half-deleted folder never looks like a snapshot
        victim = out / SNAPSHOTS / f"{STAGING_PREFIX}prune-{snapshot_id}"
        os.rename(out / SNAPSHOTS / snapshot_id, victim)
        shutil.rmtree(victim)
    return doomed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
