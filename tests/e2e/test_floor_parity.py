"""End to end: the floor (`benchmarks/floor.sql`) computes the same public tables as `funnel run`.

The benchmark measures the pipeline against this hand-written script; the ratio means something
only when both compute the same thing. The floor runs on the shared run's landing files, and
`dim_contacts` and `fct_funnel_transitions` must equal the marts row for row, on every column of
their contracts.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pipeline_run import AS_OF, Run

from orchestration.settings import PROJECT_DIR

pytestmark = pytest.mark.e2e

TABLES = ("dim_contacts", "fct_funnel_transitions")


def _floor_module():
    spec = importlib.util.spec_from_file_location("floor", PROJECT_DIR / "benchmarks" / "floor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FLOOR = _floor_module()


def _floor(run: Run, out: Path, overrides: dict | None = None) -> Path:
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    FLOOR.run_floor(run.home, AS_OF, out, overrides).close()
    return out


@pytest.fixture(scope="module")
def floor_db(run: Run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _floor(run, tmp_path_factory.mktemp("floor") / "floor.duckdb")


@pytest.mark.parametrize("table", TABLES)
def test_the_floor_equals_the_mart(run: Run, floor_db: Path, table: str) -> None:
    rows = run.scalar(f"select count(*) from marts.{table}")
    only_floor, only_mart = FLOOR.mismatches(floor_db, run.home / "warehouse.duckdb", table)
    assert (only_floor, only_mart) == (0, 0), (
        f"{table}: {only_floor} floor rows not in the mart, {only_mart} mart rows not in the"
        f" floor (of {rows})"
    )
    assert rows > 0


def test_the_comparison_sees_a_changed_rule(run: Run, tmp_path: Path) -> None:
    # the same floor with a stricter MQL threshold must not pass for the marts
    stricter = _floor(run, tmp_path / "floor.duckdb", {"mql_score": 75})
    only_floor, only_mart = FLOOR.mismatches(
        stricter, run.home / "warehouse.duckdb", "dim_contacts"
    )
    assert only_floor > 0
    assert only_mart > 0
