"""dbt started ahead of the build: imported, and the project parsed, while the run loads and checks.

Before its first node, a `dbt build` spends about 3 s of one core whatever the base's size: its
process imports dbt (about 1.9 s), then reads the kept parse state (about 1 s). `funnel run`
starts this worker first thing (DuckDB builds), so both happen on the other core while the run
imports Dagster, loads the landing files and runs the raw checks. The build step then hands its
command to the worker, which runs it through dbt's programmatic entry point (`dbtRunner`, with
the manifest it parsed) and writes dbt's JSON log lines on its standard output as the `dbt`
command does: dagster-dbt streams them, forwards an interrupt (SIGINT) and reads the exit code
(0 success, 1 a failed node, 2 an error) as it does from `dbt` itself.

One worker, one build, in the invocation folder it parsed into. A build it cannot serve starts
`dbt` as before: a run started elsewhere (the UI, a schedule), a subset of the assets, a build
on Spark, a second build in the same command, another home's build, a worker that died. The
parse depends only on the project's files and the profile's environment (FUNNEL_HOME, the
memory limit), both fixed before the worker starts; the as-of day is read when compiling
(macros/as_of.sql), so the build's environment may set it. A worker no build took is killed
when the run ends (it holds nothing but its folder, which is removed); it exits by itself when
its standard input closes before a command, and dies with the process that started it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.child_process import die_with_parent
from orchestration.dbt_invocations import (
    BUILD_FLAGS,
    BUILD_OP,
    DUCKDB_TARGET,
    dbt_environment,
    invocation_target,
)
from orchestration.settings import PROJECT_DIR

if TYPE_CHECKING:
    from dagster import AssetExecutionContext
    from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation


@dataclass
class Worker:
    """A started worker: the invocation folder it parses into, the home whose parse state it
    started from."""

    process: subprocess.Popen
    target_path: Path
    home_state: Path

    def send(self, command: list[str]) -> None:
        """Give the worker its command (`dbt <command>`), to run in this process's environment
        as it is now (the as-of day set), as a `dbt` process started now would inherit it."""
        request = {"args": command, "env": dbt_environment(self.target_path)}
        stdin = self.process.stdin
        assert stdin is not None, "the worker is started with a pipe for its standard input"
        stdin.write((json.dumps(request) + "\n").encode())
        stdin.close()


_worker: Worker | None = None


def start(home_state: Path) -> None:
    """Start the worker (once per process) for a DuckDB build of the home whose kept parse state
    is `home_state`. Call it from the thread that runs the build: the worker dies with it."""
    global _worker
    if _worker is not None:
        return
    target_path = invocation_target(BUILD_OP, home_state)
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.dbt_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dbt_environment(target_path),
        cwd=PROJECT_DIR,
    )
    _worker = Worker(process, target_path, home_state)


def take(home_state: Path) -> Worker | None:
    """The started worker, for one build of the home whose parse state is `home_state`: None
    when there is none, it was taken, it is another home's, or it died."""
    global _worker
    worker = _worker
    if worker is None or worker.home_state != home_state:
        return None
    _worker = None
    if worker.process.poll() is not None:
        _discard(worker)
        return None
    return worker


def stop() -> None:
    """End a worker no build took (the run ended before its build): killed, as it holds nothing
    but its own folder, which is removed."""
    global _worker
    worker, _worker = _worker, None
    if worker is not None:
        _discard(worker)


def _discard(worker: Worker) -> None:
    worker.process.kill()
    worker.process.wait()
    for pipe in (worker.process.stdin, worker.process.stdout):
        with contextlib.suppress(OSError, AttributeError):
            pipe.close()  # ty: ignore[possibly-missing-attribute]
    shutil.rmtree(worker.target_path, ignore_errors=True)


@contextlib.contextmanager
def running(home_state: Path) -> Iterator[None]:
    """The worker started now for the home's build, and ended with the block if none took it."""
    start(home_state)
    try:
        yield
    finally:
        stop()


def build(worker: Worker, args: list[str], context: AssetExecutionContext) -> DbtCliInvocation:
    """`dbt <args>` run by the worker for every dbt asset of `context` (no selection is added:
    the whole project, as dagster-dbt selects it for an unsubsetted run), as dagster-dbt's
    `DbtCliInvocation`, whose `stream()` gives the build's events. The environment is this
    process's now."""
    from importlib.metadata import version

    from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets
    from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
    from packaging.version import Version

    manifest, translator, project = get_manifest_and_translator_from_dbt_assets(
        [context.assets_def]
    )
    command = [*BUILD_FLAGS, *args, "--target", DUCKDB_TARGET]
    worker.send(command)
    context.log.info(f"Running dbt command (dbt started ahead): `dbt {' '.join(command)}`.")
    return DbtCliInvocation(
        process=worker.process,
        manifest=manifest,
        dagster_dbt_translator=translator,
        project_dir=PROJECT_DIR,
        target_path=worker.target_path,
        raise_on_error=True,
        cli_version=Version(version("dbt-core")),
        project=project,
        context=context,
    )


def _serve() -> int:
    """The worker: import dbt, parse the project, run the one command it is given."""
    parent = os.getppid()
    die_with_parent()
    if os.getppid() != parent:  # the run ended before prctl took effect
        return 0
    # dbt, and the adapter's modules, which dbt would otherwise import when the command starts
    import dbt.adapters.duckdb  # noqa: F401
    from dbt.cli.main import dbtRunner

    # Only errors are printed: they would be the build's too, which then parses by itself.
    parsed = dbtRunner().invoke(["--quiet", *BUILD_FLAGS, "parse", "--target", DUCKDB_TARGET])
    try:
        line = sys.stdin.readline()
        if not line:
            return 0
        request = json.loads(line)
        os.environ.clear()
        os.environ.update(request["env"])
        manifest = parsed.result if parsed.success else None
        result = dbtRunner(manifest=manifest).invoke(request["args"])
        code = 0 if result.success else 2 if result.exception is not None else 1
        del result  # an error's traceback holds the adapter, which _close_dbt releases
    finally:
        _close_dbt()
    return code


def _close_dbt() -> None:
    """What the interpreter's teardown would close, which the worker skips (about 0.5 s): the
    warehouse dbt-duckdb keeps open in its environment (closing it checkpoints it: no WAL left
    for the next reader), and the adapters, whose multiprocessing locks are then released (else
    Python's resource tracker warns of leaked semaphores)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    reset_adapters()
    gc.collect()


if __name__ == "__main__":
    code = _serve()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # what the interpreter's teardown would close is closed
