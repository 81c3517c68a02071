"""The process great-expectations runs in: calls run there as if here, and it never outlives
the process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.quality import gx_worker


def where_am_i(variable: str) -> tuple[int, str | None, str]:
    return os.getpid(), os.environ.get(variable), os.getcwd()


class Refused(ValueError):
    pass


def refuse(reason: str) -> None:
    raise Refused(reason)


def append(path: Path, line: str) -> None:
    with path.open("a") as file:
        file.write(line + "\n")


@pytest.fixture
def worker() -> Iterator[None]:
    gx_worker.stop()
    yield
    gx_worker.stop()


def test_a_call_runs_in_the_worker_with_the_callers_environment_and_folder(
    worker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gx_worker.start()
    # set after the worker started: each call carries the caller's state as it is then
    monkeypatch.setenv("FUNNEL_WORKER_PROBE", "late value")
    monkeypatch.chdir(tmp_path)
    pid, value, cwd = gx_worker.call(where_am_i, variable="FUNNEL_WORKER_PROBE")
    assert pid != os.getpid()
    assert value == "late value"
    assert cwd == str(tmp_path)


def test_what_a_call_raises_is_raised_to_the_caller(worker) -> None:
    with pytest.raises(Refused, match="no such table"):
        gx_worker.call(refuse, reason="no such table")
    # and the worker goes on
    assert gx_worker.call(where_am_i, variable="HOME")[0] != os.getpid()


def test_work_given_for_later_runs_in_order_and_the_end_waits_for_it(
    worker, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    with gx_worker.running():
        gx_worker.call_later(append, path=log, line="first")
        gx_worker.call_later(append, path=log, line="second")
        gx_worker.call(append, path=log, line="third")
    assert log.read_text().splitlines() == ["first", "second", "third"]


def test_a_failure_of_later_work_is_reported_when_the_worker_ends(
    worker, capsys: pytest.CaptureFixture[str]
) -> None:
    with gx_worker.running():
        gx_worker.call_later(refuse, reason="docs folder not writable")
    assert "refuse failed: Refused('docs folder not writable')" in capsys.readouterr().err


def test_outside_a_running_block_later_work_is_done_at_once(worker, tmp_path: Path) -> None:
    log = tmp_path / "log"
    gx_worker.call_later(append, path=log, line="now")
    assert log.read_text() == "now\n"


def test_stop_ends_the_worker(worker) -> None:
    pid = gx_worker.call(where_am_i, variable="HOME")[0]
    gx_worker.stop()
    assert not _alive(pid)


STARTER = """
import sys, time
from orchestration.quality import gx_worker
from tests.quality.test_gx_worker import where_am_i
print(gx_worker.call(where_am_i, variable="HOME")[0], flush=True)
time.sleep(600)
"""


def test_the_worker_dies_with_the_process_that_started_it() -> None:
    root = Path(__file__).resolve().parents[2]
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pid = int(starter.stdout.readline())
        assert _alive(pid)
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait()
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), "the worker outlived the run that started it"


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
