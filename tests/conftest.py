"""Fixtures shared by the test suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadFileScheduling

from orchestration.settings import LANDING_MIN_AGE_ENV, PROJECT_DIR

# Tests write landing files and load them at once: no minimum age (the tests of the minimum age
# set it themselves). Set for the whole session, so module fixtures and subprocesses have it too.
os.environ.setdefault(LANDING_MIN_AGE_ENV, "0")
DBT = str(Path(sys.executable).parent / "dbt")

# The files whose tests share an expensive session fixture (a pipeline run, a parse). `make test`
# runs whole files in each of its two processes (`-n 2 --dist loadfile`) and a process makes its
# own session fixtures: these files go to one process together, so each fixture is made once.
SHARED_SESSION_FIXTURES = {
    "run": (
        "tests/e2e/test_as_of_parity.py",
        "tests/e2e/test_export_person.py",
        "tests/e2e/test_floor_parity.py",
        "tests/e2e/test_funnel_run.py",
        "tests/e2e/test_metrics.py",
        "tests/e2e/test_publication_moves_forward.py",
        "tests/e2e/test_run_launched_by_dagster.py",
        "tests/e2e/test_spark_parity.py",
    ),
    "clean_base": (
        "tests/quality/test_clean_run_output.py",
        "tests/quality/test_faults.py",
        "tests/quality/test_pipeline.py",
    ),
    "dbt_manifest": (
        "tests/models/test_portability.py",
        "tests/models/test_project_rules.py",
        "tests/quality/test_one_check_per_rule.py",
    ),
}
SCOPE_OF_FILE = {
    file: f"session fixture {fixture}"
    for fixture, files in SHARED_SESSION_FIXTURES.items()
    for file in files
}


class SharedFixtureFileScheduling(LoadFileScheduling):
    """xdist's loadfile (whole files per process), with the files of SHARED_SESSION_FIXTURES
    sharing one unit of work each."""

    def _split_scope(self, nodeid: str) -> str:
        file = super()._split_scope(nodeid)
        return SCOPE_OF_FILE.get(file, file)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") == "loadfile":
        return SharedFixtureFileScheduling(config, log)
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files running whole pipelines (`e2e`) first, then those repeating dbt builds (`slow`),
    then the rest, each group in collection order: with `--no-loadscope-reorder` (`make test`),
    the processes take the longest files first and end on the short ones together (xdist's own
    order, by the number of tests, left the one-test pipeline files for the end).

    A test using a shared session fixture from a file SHARED_SESSION_FIXTURES does not list is
    refused: in another process it would make the fixture again."""
    for item in items:
        file = item.nodeid.split("::")[0]
        for fixture, files in SHARED_SESSION_FIXTURES.items():
            if fixture in item.fixturenames and file not in files:
                raise pytest.UsageError(
                    f"{item.nodeid} uses the session fixture `{fixture}`: add {file} to its"
                    " files in SHARED_SESSION_FIXTURES (tests/conftest.py)"
                )
    weight: dict[str, int] = {}
    for item in items:
        file = item.nodeid.split("::")[0]
        marks = {mark.name for mark in item.iter_markers()}
        rank = 0 if "e2e" in marks else 1 if "slow" in marks else 2
        weight[file] = min(weight.get(file, rank), rank)
    items.sort(key=lambda item: weight[item.nodeid.split("::")[0]])


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The project's dbt manifest, parsed fresh into a temporary target folder."""
    target = tmp_path_factory.mktemp("dbt_target")
    env = {**os.environ, "FUNNEL_HOME": str(tmp_path_factory.mktemp("funnel_home"))}
    subprocess.run(
        [DBT, "parse", "--quiet", "--target-path", str(target), "--profiles-dir", str(PROJECT_DIR)],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
    )
    return json.loads((target / "manifest.json").read_text())


@pytest.fixture(scope="session")
def project_manifest() -> Path:
    """The project's own target/manifest.json, parsed again when stale: the publication reads the
    public tables' dbt docs there, and the code location builds its assets from it."""
    from orchestration.dbt_project import dbt_project, prepare_manifest_if_needed

    prepare_manifest_if_needed()
    return dbt_project.manifest_path


@pytest.fixture
def funnel_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh FUNNEL_HOME (and DAGSTER_HOME inside it) for one test."""
    home = tmp_path / "funnel_home"
    home.mkdir()
    monkeypatch.setenv("FUNNEL_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    return home


@pytest.fixture
def dbt_show(tmp_path: Path) -> Callable[..., list[dict]]:
    """Run a query through `dbt show` on the DuckDB target, FUNNEL_HOME being the test's tmp_path
    (plus the environment variables given): its rows, as dicts."""

    def show(sql: str, **env: str) -> list[dict]:
        options = ["--profiles-dir", str(PROJECT_DIR), "--target-path", str(tmp_path / "target")]
        options += ["--log-path", str(tmp_path / "logs")]
        shown = subprocess.run(
            [DBT, "show", "--quiet", "--output", "json", *options, "--inline", sql],
            cwd=PROJECT_DIR,
            env={**os.environ, "FUNNEL_HOME": str(tmp_path), **env},
            capture_output=True,
            text=True,
        )
        assert shown.returncode == 0, shown.stdout[-2000:] + shown.stderr[-2000:]
        return json.loads(shown.stdout)["show"]

    return show
