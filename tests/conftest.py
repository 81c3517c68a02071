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
