"""Runs Pagefind for search.py so that it dies with the build, as the render workers do:
`python -m reportgen.site.pagefind_run PARENT_PID ARGS...` asks the kernel to kill this process
when its parent thread (the build's) ends, even by SIGKILL (children.die_with_parent), then runs
the `pagefind` package's entry point, which replaces this process with Pagefind's binary (execv
keeps that request). Without it, a build killed alone (say by the OOM killer) left Pagefind
indexing into a staging folder that the next build removes."""

from __future__ import annotations

import runpy
import sys

from .children import die_with_parent


def main(argv: list[str]) -> None:
    die_with_parent(int(argv[0]))
    sys.argv = ["pagefind", *argv[1:]]
    runpy.run_module("pagefind", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
