"""Fixtures shared by the test suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.settings import LANDING_MIN_AGE_ENV, PROJECT_DIR

# Tests write landing files and load them at once: no minimum age (the tests of the minimum age
# set it themselves). Set for the whole session, so module fixtures and subprocesses have it too.
os.environ.setdefault(LANDING_MIN_AGE_ENV, "0")
DBT = str(Path(sys.executable).parent / "dbt")

# Session fixtures worth making once: a pipeline run each (tests/e2e, tests/quality), a parse.
SHARED_SESSION_FIXTURES = ("run", "clean_base", "dbt_manifest")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Groups for the two test processes of `make test` (`-n 2 --dist loadgroup`): a process
    makes its own session fixtures, so the tests sharing an expensive one run in one process
    (its group); every other test is grouped by its file, whose module fixtures are then made
    once. The groups holding slow tests go first, so the quick ones fill in at the end and both
    processes finish together; a file's tests stay together and in order (a module fixture is
    torn down when the next test is another file's). Without xdist the groups do nothing."""
    for item in items:
        shared = next((f for f in SHARED_SESSION_FIXTURES if f in item.fixturenames), None)
        group = f"session-{shared}" if shared else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
    slow = {
        item.path
        for item in items
        if any(item.iter_markers("slow")) or any(item.iter_markers("e2e"))
    }
    items.sort(key=lambda item: item.path not in slow)


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
