"""`funnel forget`: undoing a delivery, after a confirmation, with nothing half-done."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.loading import MANIFEST_TABLE

FUNNEL = str(Path(sys.executable).parent / "funnel")


def _funnel(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return subprocess.run(
        [FUNNEL, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("forget") / "home"
    assert _funnel(home, "generate", "--contacts", "60", "--seed", "5", "--quiet").returncode == 0
    loaded = _funnel(home, "load")
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    return home


def _count(home: Path, sql: str, *params: object) -> int:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchone()[0]


def test_forget_asks_first_and_forgets_nothing_unconfirmed(loaded: Path) -> None:
    [events_file] = sorted((loaded / "landing" / "engagement_events").iterdir())
    rows = _count(loaded, "select count(*) from raw.engagement_events")
    refused = _funnel(loaded, "forget", str(events_file))  # stdin is no terminal: no answer
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert "engagement_events" in refused.stdout and "rows loaded" in refused.stdout
    assert _count(loaded, "select count(*) from raw.engagement_events") == rows > 0


def test_forget_an_unknown_file_says_so(loaded: Path) -> None:
    result = _funnel(loaded, "forget", "--yes", str(loaded / "landing" / "nothing.csv"))
    assert result.returncode == 2 and "the manifest holds no file" in result.stderr
    assert "funnel status" in result.stderr


def test_forget_a_file_then_its_load_removes_their_rows_and_records_them(
    loaded: Path, tmp_path: Path
) -> None:
    [events_file] = sorted((loaded / "landing" / "engagement_events").iterdir())
    forgot = _funnel(loaded, "forget", "--yes", str(events_file))
    assert forgot.returncode == 0, forgot.stderr
    assert _count(loaded, "select count(*) from raw.engagement_events") == 0
    assert (
        _count(
            loaded, f"select count(*) from {MANIFEST_TABLE} where file_path = ?", str(events_file)
        )
        == 0
    )
    assert (
        _count(
            loaded,
            "select count(*) from raw._forgotten_files where file_path = ?",
            str(events_file),
        )
        == 1
    )

    load_id = _count(loaded, f"select min(load_id) from {MANIFEST_TABLE} where entity = 'contacts'")
    files = _count(loaded, f"select count(*) from {MANIFEST_TABLE} where load_id = ?", load_id)
    by_load = _funnel(loaded, "forget", "--yes", "--load-id", load_id)
    assert by_load.returncode == 0, by_load.stderr
    assert f"Forgot {files} file(s)." in by_load.stdout
    assert _count(loaded, f"select count(*) from {MANIFEST_TABLE} where load_id = ?", load_id) == 0


@pytest.mark.slow  # three loads with their checks
def test_the_load_after_a_forget_takes_the_drop_as_the_new_volume_baseline(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    home = tmp_path_factory.mktemp("rebaseline") / "home"
    assert _funnel(home, "generate", "--contacts", "60", "--seed", "6", "--quiet").returncode == 0
    assert _funnel(home, "load").returncode == 0  # the raw suites' first row counts
    [events_file] = sorted((home / "landing" / "engagement_events").iterdir())
    kept_apart = home / events_file.name
    events_file.rename(kept_apart)  # the delivery is withdrawn from landing...

    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:  # ...rows lost unrecorded
        connection.execute("create table raw.events_aside as select * from raw.engagement_events")
        connection.execute("delete from raw.engagement_events")
    blocked = _funnel(home, "load")
    assert blocked.returncode == 1 and "raw/engagement_events" in blocked.stderr, blocked.stderr

    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute("insert into raw.engagement_events select * from raw.events_aside")
        connection.execute("drop table raw.events_aside")
    forgot = _funnel(home, "forget", "--yes", str(events_file))  # ...and forgotten on purpose
    assert forgot.returncode == 0, forgot.stderr
    after = _funnel(home, "load")
    assert after.returncode == 0, after.stderr[-3000:]


@pytest.mark.slow
def test_the_run_after_a_forget_rebuilds_the_incremental_models_without_the_delivery(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The models are incremental (they append new events and rebuild changed contacts): a
    forgotten delivery is a change they cannot see, so the next run rebuilds them in full."""
    home = tmp_path_factory.mktemp("forget-run") / "home"
    generate = ("generate", "--contacts", "40", "--seed", "7", "--end-date", "2026-06-30")
    assert _funnel(home, *generate, "--quiet").returncode == 0
    first = _funnel(home, "run", "--as-of", "2026-06-30")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    events = "select count(*) from marts.fct_engagement_events"
    assert _count(home, events) > 0
    [events_file] = sorted((home / "landing" / "engagement_events").iterdir())
    events_file.rename(home / events_file.name)
    assert _funnel(home, "forget", "--yes", str(events_file)).returncode == 0

    second = _funnel(home, "run", "--as-of", "2026-06-30")
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert _count(home, events) == 0
    assert _count(home, "select count(*) from intermediate.int_engagement_events_attributed") == 0
    reasons = "select full_refresh_reason from main.dbt_builds order by started_at"
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        recorded = [row[0] for row in connection.execute(reasons).fetchall()]
    assert recorded == [
        "no earlier build is recorded in the warehouse",
        "a delivery was forgotten since the last build",
    ]
