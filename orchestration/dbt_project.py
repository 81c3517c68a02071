"""The dbt project (at the repository root) as dagster-dbt sees it."""

import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from orchestration.dbt_invocations import BUILD_FLAGS, DUCKDB_TARGET, PROJECT_TARGET
from orchestration.engines import SPARK, SPARK_CONF_DIR, spark_dbt
from orchestration.settings import PROJECT_DIR

dbt_project = DbtProject(
    project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target_path=PROJECT_TARGET
)
BESIDE_PYTHON = Path(sys.executable).parent / "dbt"


def dbt_executable() -> str:
    """dbt from this environment, so the pipeline runs even when the venv is not on PATH."""
    return str(BESIDE_PYTHON) if BESIDE_PYTHON.exists() else "dbt"


class FunnelDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource without two steps it takes before each dbt command, which
    cost a few seconds of every run and serve nothing the funnel uses:
    - it runs `dbt --version` to learn the version: the dbt beside this Python is this
      environment's dbt-core, whose version Python knows;
    - it loads the project's macros and profile into a dbt adapter in this process, used only to
      fetch row counts and column metadata after each model, which the funnel does not ask for
      (the build's results come back as its events)."""

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable) == BESIDE_PYTHON:
            return Version(version("dbt-core"))
        return DbtCliResource._cli_version.func(self)

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource() -> DbtCliResource:
    """The dbt resource of the pipeline's build, on the working warehouse whatever DBT_TARGET
    says (analysts set it to `serving` for `mf`, which has no --target: docs/metrics.md)."""
    return FunnelDbtCliResource(
        project_dir=dbt_project,
        dbt_executable=dbt_executable(),
        target=DUCKDB_TARGET,
        global_config_flags=BUILD_FLAGS,
    )


def spark_dbt_resource() -> DbtCliResource:
    """The dbt resource of a build on Spark: the Spark environment's dbt, target `spark`."""
    return FunnelDbtCliResource(
        project_dir=dbt_project,
        dbt_executable=str(spark_dbt()),
        target=SPARK,
        global_config_flags=BUILD_FLAGS,
    )


@contextmanager
def environment_variable(name: str, value: str) -> Iterator[None]:
    """`name` set to `value` in this process's environment, restored after: a dbt process
    started meanwhile inherits it."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def spark_environment() -> AbstractContextManager[None]:
    """Spark's configuration folder, for a dbt process on Spark started meanwhile: the JVM's
    log4j2.properties, which keeps its warnings off the run's output."""
    return environment_variable("SPARK_CONF_DIR", str(SPARK_CONF_DIR))


def prepare_manifest() -> None:
    """Parse the dbt project into target/manifest.json, so the assets match the SQL on disk.

    Several processes may find the manifest stale at once (`funnel` commands, test workers):
    one parses while the others wait on a lock, then find it fresh. The parse writes into a
    folder of its own (with the kept parse state, so it stays partial), whose manifest then
    replaces target/manifest.json at once: a reader never sees one half-written."""
    target = dbt_project.target_path
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not manifest_is_stale():  # another process parsed it meanwhile
            return
        with tempfile.TemporaryDirectory(dir=target, prefix=".parse-") as folder:
            parsing = Path(folder)
            state = target / "partial_parse.msgpack"
            if state.exists():
                shutil.copy2(state, parsing / state.name)
            parser = FunnelDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
            parser.cli(["parse", "--quiet"], target_path=parsing).wait()
            for name in (state.name, "semantic_manifest.json", "manifest.json"):
                if (parsing / name).exists():
                    os.replace(parsing / name, target / name)


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
    # Everywhere, `dagster dev` (`funnel ui`) included: dagster-dbt's own preparation in dev
    # (`prepare_if_dev`) parses into target/ in place, so a `funnel run` or a test reading the
    # manifest at that moment could read it empty; `prepare_manifest` replaces it whole.
    if manifest_is_stale():
        prepare_manifest()
