"""The garbage collector of a process that loads the code location: fewer collections, none over
every object at exit."""

from __future__ import annotations

import subprocess
import sys

from orchestration.gc_tuning import OLDER_THRESHOLD, YOUNG_THRESHOLD

SCRIPT = """
import atexit, gc
from orchestration.gc_tuning import tune_for_a_run

tune_for_a_run()
tune_for_a_run()
print(*gc.get_threshold())
atexit.register(lambda: print("handler registered later ran, frozen:", gc.get_freeze_count() > 0))
"""


def test_a_tuned_process_collects_less_and_freezes_at_exit() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    threshold, handler = done.stdout.strip().splitlines()
    assert threshold.split() == [str(YOUNG_THRESHOLD), str(OLDER_THRESHOLD), str(OLDER_THRESHOLD)]
    # atexit runs its handlers last registered first: a later handler runs before the freeze.
    assert handler == "handler registered later ran, frozen: False"
