"""Runs Pagefind for search.py so that it dies with the build, as the render workers do
(render.die_with_parent): `python -m reportgen.site.pagefind_run PARENT_PID ARGS...` asks the
kernel to kill this process when its parent thread (the build's) ends, even by SIGKILL, then
runs the `pagefind` package's entry point, which replaces this process with Pagefind's binary
(execv keeps that request). Without it, a build killed alone (say by the OOM killer) left
Pagefind indexing into a staging folder that the next build removes."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import runpy
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    parent, args = int(argv[0]), argv[1:]
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: Pagefind runs as before
        pass
    if os.getppid() != parent:  # the build died before the request was made
        os._exit(1)
    sys.argv = ["pagefind", *args]
    runpy.run_module("pagefind", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
