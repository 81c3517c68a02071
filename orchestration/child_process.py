"""What a helper process of a run (a worker) does to end with the run."""

from __future__ import annotations

import ctypes
import signal
import sys

# prctl(2): the signal a Linux process gets when the thread that started it ends.
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """This process killed when the thread that started it ends (Linux; elsewhere a no-op), so
    a run killed midway leaves no worker behind."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
