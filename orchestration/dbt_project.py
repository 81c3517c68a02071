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


# What the manifest is parsed from: a change to any of these makes it stale.
PROJECT_SOURCES = ("models", "seeds", "macros", "tests/dbt", "dbt_project.yml", "profiles.yml")


def manifest_is_stale(
    manifest: Path = dbt_project.manifest_path, project_dir: Path = PROJECT_DIR
) -> bool:
    """True when there is no manifest, or a project file changed after it was parsed (so a
    code location loaded after an edit never shows the graph of the SQL before it)."""
    if not manifest.exists():
        return True
    parsed_at = manifest.stat().st_mtime
    for name in PROJECT_SOURCES:
        path = project_dir / name
        files = path.rglob("*") if path.is_dir() else [path]
        if any(f.is_file() and f.stat().st_mtime > parsed_at for f in files):
            return True
    return False


def prepare_manifest_if_needed() -> None:
    """Parse the project when its manifest may not match the SQL on disk, before the dbt assets
    are built from it."""
    # `dagster dev` re-parses on load; `funnel` parses before loading; elsewhere parse when the
    # manifest is missing or older than the project's files.
    dbt_project.prepare_if_dev()
    if manifest_is_stale():
        prepare_manifest()
