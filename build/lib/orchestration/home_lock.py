"""One writer per FUNNEL_HOME: the lock every run and load takes on the home it writes.

The lock is an advisory `flock` on `FUNNEL_HOME/.funnel.lock`, so the operating system releases
it when its process ends, even when killed: a crash never leaves a home locked. The file holds who
took it (process id, command, start time) for the message the next writer prints. The lock is
re-entrant within a process: `funnel run` takes it before the job starts, and the job's resource,
which takes it for runs launched from the UI or the schedule, then finds it already held.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LOCK_FILENAME = ".funnel.lock"
# `funnel run` and `funnel load` exit with this code when another writer holds the home
# (EX_TEMPFAIL: try again later).
EXIT_HOME_BUSY = 75

_held: dict[Path, int] = {}  # home -> depth, for the homes this process holds
_guard = threading.Lock()


@dataclass(frozen=True)
class Holder:
    pid: int | None
    command: str
    started_at: str

    def describe(self) -> str:
        who = f"PID {self.pid}" if self.pid else "an unknown process"
        what = f" `{self.command}`" if self.command else ""
        since = f", started at {self.started_at}" if self.started_at else ""
        return f"another run ({who}{what}{since})"


class HomeBusy(RuntimeError):
    """Another process holds the lock of this home."""

    def __init__(self, home: Path, holder: Holder) -> None:
        self.home = home
        self.holder = holder
        super().__init__(
            f"{holder.describe()} holds {home}: wait for it to end, or run again with --wait."
        )


def _read_holder(path: Path) -> Holder:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    return Holder(info.get("pid"), info.get("command", ""), info.get("started_at", ""))


def _command() -> str:
    name = Path(sys.argv[0]).name if sys.argv else ""
    return " ".join([name, *sys.argv[1:2]]).strip()


@contextmanager
def home_lock(home: Path, *, wait: bool = False, on_wait=None) -> Iterator[None]:
    """Hold the home's lock for the duration of the block.

    Raises HomeBusy when another process holds it, unless `wait`: then `on_wait(holder)` is
    called once and the block starts when the other writer is done.
    """
    home = Path(home).resolve()
    with _guard:
        if home in _held:
            _held[home] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[home] -= 1
        return

    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK_FILENAME
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(path)
            if not wait:
                raise HomeBusy(home, holder) from None
            if on_wait is not None:
                on_wait(holder)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        info = {"pid": os.getpid(), "command": _command(), "started_at": started}
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(info).encode(), 0)
        with _guard:
            _held[home] = 1
        try:
            yield
        finally:
            with _guard:
                del _held[home]
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)  # closing the descriptor releases the lock
