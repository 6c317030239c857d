"""The build's child processes (render workers, Pagefind runs) die with it."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Called first in a child of the build (pid `parent`): the kernel kills this process when the
    build dies, even by SIGKILL, so no child outlives its build holding its output and memory.
    The request is kept across execv (pagefind_run.py)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent check below still catches most
        pass
    if os.getppid() != parent:  # the build died before the signal was armed
        os._exit(1)
