"""The dbt project (at the repository root) as dagster-dbt sees it."""

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import PROJECT_DIR

dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)


def dbt_executable() -> str:
    """dbt from this environment, so the pipeline runs even when the venv is not on PATH."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else "dbt"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


def prepare_manifest() -> None:
    """Parse the dbt project into target/manifest.json, so the assets match the SQL on disk."""
    dbt_resource().cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()
