"""A warehouse great-expectations cannot read is a failed run, never a failed data check."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from orchestration.contract import ENTITIES
from orchestration.loading import load_entity
from orchestration.quality.gx_runner import (
    WarehouseUnreadable,
    raise_infrastructure_errors,
    validate_suites,
)
from orchestration.quality.outcomes import ExpectationOutcome
from orchestration.quality.suites import load_suites

HOLD_WRITE_LOCK = """
import sys, time, duckdb
from pathlib import Path
connection = duckdb.connect(sys.argv[1])  # read-write: DuckDB locks the file for others
Path(sys.argv[2]).write_text("held")
time.sleep(120)
"""


def test_a_locked_warehouse_fails_the_suite_run_instead_of_its_expectations(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (home / "landing").mkdir(parents=True)
    warehouse = home / "warehouse.duckdb"
    for entity in ENTITIES:
        load_entity(warehouse, home / "landing", entity)
    [suite] = [s for s in load_suites() if s.table == "raw.contacts"]
    ready = tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WRITE_LOCK, str(warehouse), str(ready)])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert holder.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises(Exception) as raised:
            validate_suites(
                warehouse,
                [suite],
                as_of=date(2026, 6, 30),
                gx_root=tmp_path / "gx",
                docs_dir=tmp_path / "docs",
                build_docs=False,
            )
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert "lock" in str(raised.value).lower(), raised.value


def test_an_expectation_that_could_not_read_the_warehouse_fails_the_run() -> None:
    """The lock can also be taken between two expectations: their error is the run's."""
    [suite] = [s for s in load_suites() if s.table == "raw.contacts"]
    locked = ExpectationOutcome(
        expectation_type="expect_column_values_to_not_be_null",
        description="every row has a contact_id",
        severity="critical",
        success=False,
        error='IOException: IO Error: Could not set lock on file "warehouse.duckdb": Conflicting',
    )
    with pytest.raises(WarehouseUnreadable, match=r"raw\.contacts could not read the warehouse"):
        raise_infrastructure_errors(suite, [locked])
    data_error = ExpectationOutcome(
        expectation_type="expect_column_values_to_be_in_set",
        description="a known seniority",
        severity="warning",
        success=False,
        error="ConversionException: could not convert string to INTEGER",
    )
    raise_infrastructure_errors(suite, [data_error])  # a data problem stays the check's
