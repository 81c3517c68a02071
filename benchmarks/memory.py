"""Peak memory of a process tree: this process or another, and every process it starts.

`getrusage` gives the largest single process only, and the pipeline's memory is the Dagster
process and the dbt process at once; so a thread sums the resident memory of the whole tree
(from /proc, Linux) every `interval` seconds and keeps the largest sum.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")


def _children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from each /proc/<pid>/stat's parent id."""
    children: dict[int, list[int]] = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: the fields follow its end
        parent = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(stat.parent.name))
    return children


def _rss_bytes(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and all its descendants, now."""
    children = _children_by_parent()
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        total += _rss_bytes(current)
        pending += children.get(current, [])
    return total


class PeakMemory:
    """`with PeakMemory() as peak: ...` then `peak.gib`: the tree's largest total while inside."""

    def __init__(self, pid: int | None = None, interval: float = 0.1) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def gib(self) -> float:
        return self.peak_bytes / 2**30
