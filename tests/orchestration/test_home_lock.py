"""One writer per home: a second writer is told who holds it, waits when asked, and a killed
holder never leaves the home locked."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.home_lock import LOCK_FILENAME, HomeBusy, home_lock

HOLD = """
import sys, time
from pathlib import Path
from orchestration.home_lock import home_lock
with home_lock(Path(sys.argv[1])):
    Path(sys.argv[2]).write_text("held")
    time.sleep(float(sys.argv[3]))
"""


def _holder(home: Path, seconds: float) -> subprocess.Popen:
    ready = home.parent / f"{home.name}.ready"
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(home), str(ready), str(seconds)])
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert process.poll() is None, "the holder ended before taking the lock"
        assert time.monotonic() < deadline, "the holder never took the lock"
        time.sleep(0.05)
    return process


def test_a_second_writer_is_told_which_process_holds_the_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    holder = _holder(home, 60)
    try:
        with pytest.raises(HomeBusy) as busy, home_lock(home):
            pytest.fail("the lock was taken twice")
        assert busy.value.holder.pid == holder.pid
        assert f"PID {holder.pid}" in str(busy.value) and "--wait" in str(busy.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with home_lock(home):  # a killed holder leaves the home free
        assert (home / LOCK_FILENAME).exists()


def test_a_waiting_writer_starts_when_the_holder_ends(tmp_path: Path) -> None:
    home = tmp_path / "home"
    holder = _holder(home, 1.5)
    told = []
    asked_at = time.monotonic()
    with home_lock(home, wait=True, on_wait=told.append):
        waited = time.monotonic() - asked_at
    holder.wait(timeout=30)
    assert waited > 1.0, "the waiting writer started while the other held the home"
    assert [h.pid for h in told] == [holder.pid]


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with home_lock(home), home_lock(home):
        pass
    with home_lock(home):  # released once the outer block ended
        pass
