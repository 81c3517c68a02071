"""Python's garbage collector, tuned for a process that loads the code location and runs the job.

Such a process holds over half a million objects that live until it exits (Dagster's, dbt's and
great-expectations' modules and classes, the definitions), and each run creates many short-lived
ones (about a thousand events, each serialised and stored). With Python's defaults:

- its cyclic collector ran about 1,500 times in a `funnel run` on a small base, the full
  collections walking every live object each time: 1.5 to 2 s of the run;
- at exit, Python clears every module and collects again over every object: about 2 s after the
  summary was printed.

Fewer, larger young collections (`YOUNG_THRESHOLD` objects rather than 700) and fewer full ones
take about a third of that; at exit, the live objects are frozen (`atexit` handlers run before
the clean-up) and left to the operating system, which frees the process's memory at once.
Nothing the funnel writes depends on the collector: files and connections are closed explicitly
(DuckDB connections in `with` blocks, the event log when the instance is closed), and `atexit`
handlers registered later still run first.
"""

from __future__ import annotations

import atexit
import gc

YOUNG_THRESHOLD = 5_000
OLDER_THRESHOLD = 20
_tuned = False


def tune_for_a_run() -> None:
    """Collect less often, and not at exit (once per process; later calls change nothing)."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
    atexit.register(gc.freeze)
