"""A run Dagster launches itself (the UI, the daily schedule, the landing sensor) builds as
`funnel run` does, with `dbt` started by its build step rather than a worker started ahead
(orchestration/dbt_worker.py): the same public tables from the same landing files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pipeline_run import AS_OF, Run
from warehouses import base_tables, differences

from orchestration.synthetic import generate

pytestmark = pytest.mark.e2e

# The funnel job materialised in-process from the definitions the UI loads, as a launched run.
LAUNCH = """
import sys
from dagster import DagsterInstance
from orchestration.defs.definitions import defs
from orchestration.defs.schedules import run_config_as_of

with DagsterInstance.get() as instance:
    result = defs().resolve_job_def("funnel_job").execute_in_process(
        run_config=run_config_as_of(sys.argv[1]),
        instance=instance,
        raise_on_error=False,
    )
sys.exit(0 if result.success else 1)
"""


def test_a_launched_run_builds_the_tables_funnel_run_builds(run: Run, tmp_path: Path) -> None:
    home = tmp_path / "launched"
    generate(home / "landing", contacts=600, seed=11, end_date=AS_OF)  # the shared run's base
    (home / "dagster").mkdir()
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCH, AS_OF.isoformat()],
        env={**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = launched.stdout + launched.stderr
    assert launched.returncode == 0, output[-3000:]
    assert "Running dbt command: `" in output and "dbt started ahead" not in output
    public = base_tables(run.home / "warehouse.duckdb", "marts")
    assert public == base_tables(home / "warehouse.duckdb", "marts")
    assert not differences(run.home, home, [f"marts.{table}" for table in public])
