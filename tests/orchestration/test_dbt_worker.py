"""dbt started ahead of the build (orchestration/dbt_worker.py): the worker runs its one command
as the `dbt` command does, and leaves nothing behind when no build takes it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from orchestration import dbt_worker
from orchestration.dbt_invocations import (
    BUILD_FLAGS,
    DUCKDB_TARGET,
    PARTIAL_PARSE_FILE,
    dbt_environment,
)
from orchestration.dbt_project import dbt_executable
from orchestration.settings import PROJECT_DIR


@pytest.fixture(scope="module")
def parsed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home holding its kept parse state, as after its first build: a worker, or `dbt`, then
    reads it instead of parsing the project in full (about 5 s each)."""
    home = tmp_path_factory.mktemp("parsed_home")
    subprocess.run(
        [dbt_executable(), *BUILD_FLAGS, "parse", "--target", DUCKDB_TARGET],
        env={**dbt_environment(home / "dbt"), "FUNNEL_HOME": str(home)},
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
    )
    return home


@pytest.fixture
def home_state(parsed_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the test's home keeps its parse state."""
    monkeypatch.setenv("FUNNEL_HOME", str(parsed_home))
    return parsed_home / "dbt" / PARTIAL_PARSE_FILE


def _events(output: bytes) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def _run_by_worker(home_state: Path, command: list[str]) -> tuple[int, list[dict], Path]:
    dbt_worker.start(home_state)
    worker = dbt_worker.take(home_state)
    assert worker is not None
    try:
        worker.send(command)
        output = worker.process.stdout.read()  # ty: ignore[possibly-missing-attribute]
        return worker.process.wait(timeout=300), _events(output), worker.target_path
    finally:
        dbt_worker._discard(worker)


def _run_by_dbt(home_state: Path, tmp_path: Path, command: list[str]) -> tuple[int, list[dict]]:
    target = tmp_path / "by-dbt"
    target.mkdir()
    shutil.copyfile(home_state, target / PARTIAL_PARSE_FILE)
    process = subprocess.run(
        [dbt_executable(), *command],
        env=dbt_environment(target),
        cwd=PROJECT_DIR,
        capture_output=True,
        timeout=300,
    )
    return process.returncode, _events(process.stdout)


def _listed(events: list[dict]) -> list[str]:
    return [e["info"]["msg"] for e in events if e["info"]["name"] == "PrintEvent"]


def test_the_worker_answers_a_command_as_dbt_does(home_state: Path, tmp_path: Path) -> None:
    """Its JSON log lines, their content and the exit code are those of `dbt` for the same
    command, and the parse state it wrote (for the home's next build) is in its folder."""
    command = [*BUILD_FLAGS, "ls", "--resource-type", "model", "--target", DUCKDB_TARGET]
    code, events, target = _run_by_worker(home_state, command)
    dbt_code, dbt_events = _run_by_dbt(home_state, tmp_path, command)
    assert code == dbt_code == 0
    assert _listed(events) == _listed(dbt_events)
    assert "b2b_funnel.marts.dim_contacts" in _listed(events)
    assert not target.exists()  # removed with the worker


def test_a_failing_command_exits_as_dbt_does(home_state: Path, tmp_path: Path) -> None:
    command = [*BUILD_FLAGS, "run-operation", "no_such_macro", "--target", DUCKDB_TARGET]
    code, events, _ = _run_by_worker(home_state, command)
    dbt_code, dbt_events = _run_by_dbt(home_state, tmp_path, command)
    assert code == dbt_code != 0
    errors = [e["info"]["msg"] for e in events if e["info"]["level"] == "error"]
    assert errors and errors == [
        e["info"]["msg"] for e in dbt_events if e["info"]["level"] == "error"
    ]


def test_a_worker_no_build_takes_ends_with_the_run(home_state: Path) -> None:
    with dbt_worker.running(home_state):
        worker = dbt_worker._worker
        assert worker is not None and worker.target_path.is_dir()
    assert worker.process.poll() is not None
    assert not worker.target_path.exists()
    assert dbt_worker._worker is None


def test_a_worker_whose_input_closes_exits_quietly(home_state: Path) -> None:
    """What a worker given no command does when the run's process closes its pipe."""
    dbt_worker.start(home_state)
    worker = dbt_worker.take(home_state)
    assert worker is not None
    try:
        worker.process.stdin.close()  # ty: ignore[possibly-missing-attribute]
        assert worker.process.stdout.read() == b""  # ty: ignore[possibly-missing-attribute]
        assert worker.process.wait(timeout=300) == 0
    finally:
        dbt_worker._discard(worker)


def test_a_worker_serves_only_its_home_and_only_alive(home_state: Path, tmp_path: Path) -> None:
    with dbt_worker.running(home_state):
        assert dbt_worker.take(tmp_path / "another home" / PARTIAL_PARSE_FILE) is None
        worker = dbt_worker._worker
        assert worker is not None
        worker.process.kill()
        worker.process.wait()
        assert dbt_worker.take(home_state) is None  # died: the build starts dbt itself
        assert not worker.target_path.exists()
