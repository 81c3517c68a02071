"""Publication only moves forward: what BI and leadership read is never replaced by an older
funnel or by an empty base."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import NamedTuple

import pytest
from pipeline_run import AS_OF, FUNNEL, Run

from orchestration.publishing import NothingToPublish, as_of_of, should_publish
from orchestration.report import REPORT_FILENAME, dated_report_name

PAST_DAY = date(2025, 12, 31)
pytestmark = pytest.mark.e2e


def _published_files(home: Path) -> dict[str, str]:
    files = [home / "serving.duckdb", home / "reports" / REPORT_FILENAME]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def _funnel(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return subprocess.run(
        [FUNNEL, *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )


class PastRun(NamedTuple):
    home: Path  # a copy of the shared run's home, then run again as of PAST_DAY
    published_before: dict[str, str]
    result: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def past_run(run: Run, tmp_path_factory: pytest.TempPathFactory) -> PastRun:
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    home = tmp_path_factory.mktemp("forward") / "home"
    shutil.copytree(run.home, home)
    before = _published_files(home)
    return PastRun(home, before, _funnel(home, "run", "--as-of", PAST_DAY.isoformat()))


def test_a_run_as_of_a_past_day_leaves_the_publication_and_writes_a_dated_report(
    past_run: PastRun,
) -> None:
    copy_of_run, result = past_run.home, past_run.result
    assert result.returncode == 0, result.stderr[-3000:]
    assert _published_files(copy_of_run) == past_run.published_before
    assert as_of_of(copy_of_run / "serving.duckdb") == AS_OF
    assert as_of_of(copy_of_run / "warehouse.duckdb") == PAST_DAY
    dated = copy_of_run / "reports" / dated_report_name(PAST_DAY, "en")
    assert dated.exists() and PAST_DAY.strftime("%Y") in dated.read_text(encoding="utf-8")
    assert f"left as of {AS_OF}" in result.stdout and "--publish" in result.stdout
    assert str(dated) in result.stdout


def test_an_empty_landing_folder_publishes_nothing(run: Run, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "landing").mkdir()
    shutil.copy(run.home / "serving.duckdb", home / "serving.duckdb")
    before = hashlib.sha256((home / "serving.duckdb").read_bytes()).hexdigest()
    result = _funnel(home, "run", "--as-of", AS_OF.isoformat())
    assert result.returncode == 2, result.stderr
    assert "landing folder" in result.stderr and "is empty" in result.stderr
    assert hashlib.sha256((home / "serving.duckdb").read_bytes()).hexdigest() == before


def test_publication_decisions(past_run: PastRun, tmp_path: Path) -> None:
    """A later or equal day publishes, an earlier one only when asked; no contact, never."""
    warehouse, serving = past_run.home / "warehouse.duckdb", past_run.home / "serving.duckdb"
    assert not should_publish(warehouse, serving)  # the warehouse is as of PAST_DAY now
    assert should_publish(warehouse, serving, replace_later=True)
    assert should_publish(serving, serving)  # the same day
    assert should_publish(warehouse, tmp_path / "no-publication-yet.duckdb")
    import duckdb

    empty = tmp_path / "empty.duckdb"
    with duckdb.connect(str(empty)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.dim_contacts (as_of_date date)")
    with pytest.raises(NothingToPublish, match="no contact"):
        should_publish(empty, serving, replace_later=True)
