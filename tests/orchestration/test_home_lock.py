"""One writer per home: a second writer is told who holds it, waits when asked, and a killed
holder never leaves the home locked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.home_lock import EXIT_HOME_BUSY, LOCK_FILENAME, HomeBusy, home_lock

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


FUNNEL = str(Path(sys.executable).parent / "funnel")


def _funnel(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return subprocess.run([FUNNEL, *args], env=env, capture_output=True, text=True, timeout=300)


def test_a_second_run_or_load_exits_with_its_own_code_and_says_who_holds_the_home(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (home / "landing").mkdir(parents=True)
    holder = _holder(home, 120)
    try:
        for command in ("run", "load"):
            result = _funnel(command, home=home)
            assert result.returncode == EXIT_HOME_BUSY, result.stderr
            assert f"another run (PID {holder.pid}" in result.stderr, result.stderr
            assert "check" not in result.stderr  # never reported as a failed check
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()


def test_a_load_with_wait_starts_once_the_holder_ends(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "landing").mkdir(parents=True)
    holder = _holder(home, 3)
    result = _funnel("load", "--wait", home=home)
    holder.wait(timeout=30)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"Waiting: another run (PID {holder.pid}" in result.stderr


def test_a_run_launched_by_dagster_fails_at_once_while_another_process_holds_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs from the UI or the schedule take the lock through the FUNNEL_HOME resource."""
    from dagster import DagsterInstance

    from orchestration.defs.definitions import defs

    home = tmp_path / "home"
    (home / "landing").mkdir(parents=True)
    monkeypatch.setenv("FUNNEL_HOME", str(home))
    holder = _holder(home, 120)
    try:
        job = defs().resolve_job_def("funnel_job")
        result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert not result.success
    errors = [
        event.event_specific_data.error
        for event in result.all_events
        if event.is_failure and getattr(event.event_specific_data, "error", None)
    ]
    messages = " ".join(error.to_string() for error in errors)
    assert f"PID {holder.pid}" in messages, messages[:2000]
    assert not (home / "warehouse.duckdb").exists(), "the run wrote before taking the lock"


@pytest.mark.e2e
def test_two_runs_started_together_build_once_and_a_later_one_is_told_to_wait(
    tmp_path: Path,
) -> None:
    """Two `funnel run`s on one home at the same instant: one builds, the other exits 75 at
    once; a third started while the first still runs exits 75 too. No Dagster run, hence no
    check, is recorded for the runs turned away."""
    home = tmp_path / "home"
    generated = _funnel("generate", "--contacts", "60", "--seed", "7", "--quiet", home=home)
    assert generated.returncode == 0, generated.stderr
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    command = [FUNNEL, "run", "--as-of", "2026-06-30"]
    logs = [(tmp_path / f"run{i}.out").open("w+") for i in range(2)]
    first, second = (
        subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT) for log in logs
    )
    time.sleep(5)
    still_running = [p for p in (first, second) if p.poll() is None]
    late = _funnel("run", "--as-of", "2026-06-30", home=home)
    outcomes = sorted(p.wait(timeout=600) for p in (first, second))
    assert outcomes == [0, EXIT_HOME_BUSY], [log.seek(0) or log.read()[-3000:] for log in logs]
    if still_running:  # the builder was still at work when the late run asked
        assert late.returncode == EXIT_HOME_BUSY and "another run (PID" in late.stderr

    from dagster import DagsterInstance, RunsFilter

    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs(RunsFilter())
    assert len(runs) == 1 and runs[0].is_success
