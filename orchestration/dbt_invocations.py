"""The folders and flags of the pipeline's dbt invocations, without importing Dagster or dbt:
`funnel run` prepares its build's folder first thing (orchestration/dbt_worker.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from datetime import timedelta
from pathlib import Path

from orchestration.settings import PROJECT_DIR

# The project's target folder, as an absolute path: where the manifest and the kept parse state
# are, whatever the directory `funnel` is started from.
PROJECT_TARGET = PROJECT_DIR / "target"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# The op of the dbt build (the dbt assets' function): its invocation folders are named after it.
BUILD_OP = "funnel_dbt_assets"

# The pipeline's dbt commands write no JSON artifacts (manifest.json twice, run_results.json) and
# no debug log file (every statement: about 1 s of a 15 s build on 200 contacts) in their invocation
# folder, which is removed after the build: the run's results and errors come back as its events.
# The parse state (partial_parse.msgpack) is written all the same.
BUILD_FLAGS = ["--no-write-json", "--log-level-file", "none"]
# The profile's target of the pipeline's DuckDB builds (profiles.yml).
DUCKDB_TARGET = "duckdb"


def invocation_target(name: str, home_state: Path) -> Path:
    """A new target folder for one dbt invocation, holding the home's parse state when it has
    one: dagster-dbt then leaves it there rather than copy in the project's, which another home
    may have written (another warehouse path, so another dbt profile): dbt would reject it and
    parse the whole project again (about 5 s)."""
    remove_stale_invocations(name)
    folder = PROJECT_TARGET / f"{name}-{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True)
    if home_state.exists():
        shutil.copyfile(home_state, folder / PARTIAL_PARSE_FILE)
    return folder


# A build removes its target folder when it ends; a killed one cannot. Older than this, a folder
# is no running build's (a build takes minutes, hours at most).
STALE_INVOCATION_AGE = timedelta(days=1)


def remove_stale_invocations(name: str, target: Path = PROJECT_TARGET) -> None:
    """Remove the target folders killed builds left behind (older than STALE_INVOCATION_AGE)."""
    cutoff = time.time() - STALE_INVOCATION_AGE.total_seconds()
    for folder in target.glob(f"{name}-*"):
        with contextlib.suppress(OSError):  # another run may be removing it too
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)


def keep_parse_state(
    invocation_target: Path, home_state: Path, project_target: Path | None = PROJECT_TARGET
) -> None:
    """Keep the build's parse state for the home's next build, and as the project's
    target/partial_parse.msgpack, which dagster-dbt copies into a build that brings none (a new
    home) and dbt by hand reads. dbt re-parses only what changed, whatever the as-of day (not a
    `--vars` value). Replaced atomically: another home's run may be reading the project's.
    `project_target` None: the home's only (a Spark build's, which DuckDB's builds cannot use)."""
    state = invocation_target / PARTIAL_PARSE_FILE
    if not state.exists():
        return
    kept_states = (
        [home_state]
        if project_target is None
        else [home_state, project_target / PARTIAL_PARSE_FILE]
    )
    for kept in kept_states:
        kept.parent.mkdir(parents=True, exist_ok=True)
        incoming = kept.with_name(f".{PARTIAL_PARSE_FILE}.{os.getpid()}")
        shutil.copyfile(state, incoming)
        os.replace(incoming, kept)


def dbt_environment(target_path: Path) -> dict[str, str]:
    """This process's environment as dagster-dbt gives it to the `dbt` process it starts
    (`DbtCliResource.cli`): JSON log lines on stdout, the invocation's own target and log
    folder, the project's profiles."""
    return {
        **os.environ,
        "DAGSTER_DBT_CLI": "true",
        "PYTHONUNBUFFERED": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_LOG_FORMAT": "json",
        "DBT_TARGET_PATH": str(target_path),
        "DBT_LOG_PATH": str(target_path),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_PROJECT_DIR": str(PROJECT_DIR),
    }
