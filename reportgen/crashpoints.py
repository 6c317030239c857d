"""Named points where the crash tests stop a build to kill it. Inert unless the environment
variable REPORTGEN_TEST_STOP_AT names the point."""

from __future__ import annotations

import os
import sys
import time

VARIABLE = "REPORTGEN_TEST_STOP_AT"


def stop_here(name: str) -> None:
    """With REPORTGEN_TEST_STOP_AT=<name>: say so on stderr and wait there to be killed."""
    if os.environ.get(VARIABLE) == name:
        print(f"reportgen-test: stopped at {name}", file=sys.stderr, flush=True)
        time.sleep(600)
