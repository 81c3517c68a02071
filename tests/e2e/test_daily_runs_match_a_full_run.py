"""Daily runs against one full run: a warehouse fed day by day ends with the same public tables.

A generated export is cut into what a team would receive: the base as it stood at the end of a
day, then one delivery per following day, each holding the records whose latest date is that day
(new events and activities, new or updated contacts, companies and opportunities). One home
loads the base, runs, then loads and runs each day's delivery; another loads everything at once
and runs once as of the last day. Every public table must be equal, row for row: what a run
computes may depend on what is known, never on the order deliveries arrived in.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance
from warehouses import base_tables, differences

from orchestration.contract import ENTITIES
from orchestration.settings import PROJECT_DIR
from orchestration.synthetic import generate

pytestmark = pytest.mark.e2e

FUNNEL = str(Path(sys.executable).parent / "funnel")
DBT = str(Path(sys.executable).parent / "dbt")
BASE_DAY = dt.date(2026, 6, 27)
DAYS = [BASE_DAY + dt.timedelta(days=n) for n in (1, 2, 3)]


def _funnel(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return subprocess.run(
        [FUNNEL, *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )


def _delivery_day(row: dict[str, str], dated_columns: list[str]) -> dt.date | None:
    """The day a record is delivered: its latest date (None when it has no readable date)."""
    days = []
    for column in dated_columns:
        try:
            days.append(dt.date.fromisoformat((row.get(column) or "")[:10]))
        except ValueError:
            continue
    return max(days) if days else None


def _cut_into_deliveries(export: Path, deliveries: Path) -> dict[dt.date, int]:
    """Write `deliveries/<day>/<entity>/<file>` for the base day and each following day, and
    return how many records each day's delivery holds."""
    counts: dict[dt.date, int] = {day: 0 for day in [BASE_DAY, *DAYS]}
    for entity in ENTITIES.values():
        dated = [column.name for column in entity.columns if column.kind in ("date", "timestamp")]
        for source in sorted((export / entity.name).glob("*.csv")):
            with source.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                header = reader.fieldnames or []
                by_day: dict[dt.date, list[dict[str, str]]] = {}
                for row in reader:
                    day = _delivery_day(row, dated)
                    # undated, past and future-dated records are all in the base export
                    delivered = day if day in DAYS else BASE_DAY
                    by_day.setdefault(delivered, []).append(row)
            for day, rows in by_day.items():
                target = deliveries / day.isoformat() / entity.name / f"{source.stem}-{day}.csv"
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.DictWriter(handle, fieldnames=header)
                    writer.writeheader()
                    writer.writerows(rows)
                counts[day] += len(rows)
    return counts


def _deliver(deliveries: Path, day: dt.date, home: Path) -> None:
    shutil.copytree(deliveries / day.isoformat(), home / "landing", dirs_exist_ok=True)


def _run(home: Path, day: dt.date) -> None:
    result = _funnel(home, "run", "--as-of", day.isoformat())
    assert result.returncode == 0, f"run as of {day} failed:\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("daily_runs")
    generate(root / "export", contacts=300, seed=5, end_date=DAYS[-1])
    counts = _cut_into_deliveries(root / "export", root / "deliveries")
    assert all(counts[day] > 0 for day in DAYS), f"a day without a delivery: {counts}"

    daily = root / "daily"
    _deliver(root / "deliveries", BASE_DAY, daily)
    _run(daily, BASE_DAY)
    for day in DAYS:
        _deliver(root / "deliveries", day, daily)
        _run(daily, day)

    once = root / "once"
    for day in [BASE_DAY, *DAYS]:
        _deliver(root / "deliveries", day, once)
    _run(once, DAYS[-1])
    return daily, once


def test_daily_runs_leave_the_same_public_tables_as_one_full_run(homes) -> None:
    daily, once = homes
    tables = base_tables(once / "warehouse.duckdb", "marts")
    assert tables == base_tables(daily / "warehouse.duckdb", "marts")
    assert "dim_contacts" in tables and "fct_funnel_transitions" in tables
    loads = []
    for home in (daily, once):
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
            query = "select count(distinct load_id) from raw._load_manifest"
            loads.append(connection.execute(query).fetchone()[0])
    assert loads == [1 + len(DAYS), 1], f"loads (daily home, full run's): {loads}"
    assert not differences(daily, once, [f"marts.{table}" for table in tables])


# Intermediate tables that record the builds themselves, not what the base says: each differs
# between a home built day by day and one built once, by design.
BUILD_RECORDS = {
    # what changed since the previous build, and when: one entry per build
    "int_contact_changes",
    "int_contact_grain_changes",
    "int_contact_keys",
}


def test_daily_runs_leave_the_same_intermediate_tables_as_one_full_run(homes) -> None:
    """Every intermediate table but the builds' own records: an incremental model that carries
    state from day to day must hold what a full build computes, not only pass it on to the
    public tables equal."""
    daily, once = homes
    tables = base_tables(once / "warehouse.duckdb", "intermediate")
    assert tables == base_tables(daily / "warehouse.duckdb", "intermediate")
    assert set(tables) >= BUILD_RECORDS
    compared = [f"intermediate.{t}" for t in tables if t not in BUILD_RECORDS]
    assert not differences(daily, once, compared)


def test_a_daily_run_adds_the_day_s_events_and_keeps_the_others(homes) -> None:
    """The event grain is incremental: each daily run rewrote only the events of the contacts it
    had to rebuild and added the day's, so the daily home's events were computed by several
    builds, most of them by the first."""
    daily, _ = homes
    with duckdb.connect(str(daily / "warehouse.duckdb"), read_only=True) as connection:
        builds, by_the_first, events = connection.execute(
            "select count(distinct built_at), count(*) filter (where built_at = ("
            "select min(built_at) from marts.fct_engagement_events)), count(*)"
            " from marts.fct_engagement_events"
        ).fetchone()
    assert builds == 1 + len(DAYS), (builds, by_the_first, events)
    assert by_the_first > events / 2, (builds, by_the_first, events)


def test_the_daily_publications_hold_the_warehouse_s_public_tables(homes) -> None:
    """Each daily run published the event grain by its rows built since the previous
    publication, not by a copy: the published file holds the warehouse's public tables all the
    same, row for row (the personal columns aside)."""
    daily, _ = homes
    with DagsterInstance.from_config(str(daily / "dagster")) as instance:
        records = instance.fetch_materializations(
            AssetKey(["serving", "published"]), limit=10, ascending=True
        ).records
    updated = [
        record.asset_materialization.metadata["tables_updated_by_rows"].value for record in records
    ]
    assert updated == [[], *[["fct_engagement_events"]] * len(DAYS)]
    with duckdb.connect() as connection:
        connection.execute(f"attach '{daily / 'warehouse.duckdb'}' as warehouse (read_only)")
        connection.execute(f"attach '{daily / 'serving.duckdb'}' as serving (read_only)")
        for table in base_tables(daily / "serving.duckdb", "marts"):
            columns = ", ".join(
                f'"{name}"'
                for name, *_ in connection.execute(f"describe serving.marts.{table}").fetchall()
            )
            for left, right in (("warehouse", "serving"), ("serving", "warehouse")):
                missing = connection.execute(
                    f"select count(*) from (select {columns} from {left}.marts.{table}"
                    f" except all select {columns} from {right}.marts.{table})"
                ).fetchone()[0]
                assert missing == 0, f"{table}: {missing} rows of {left} not in {right}"


@pytest.mark.parametrize(
    "table",
    [
        "intermediate.int_engagement_events_attributed",
        "intermediate.int_engagement_instants_scored",
        "intermediate.int_contact_facts_by_instant",
        "intermediate.int_contact_states_folded",
        "marts.fct_engagement_events",
    ],
)
def test_a_daily_run_writes_only_the_rows_that_changed(homes, table: str) -> None:
    """The last daily run recomputed every row of the contacts whose inputs changed, but wrote
    only those that came out different (a new event's, the instant it joined): far fewer rows
    than those contacts hold. The rows it wrote carry its `built_at`."""
    daily, _ = homes
    with duckdb.connect(str(daily / "warehouse.duckdb"), read_only=True) as connection:
        written, held = connection.execute(
            f"""
            with rebuilt as (
                select contact_id from intermediate.int_contact_changes
                where changed_at = (select max(changed_at) from intermediate.int_contact_changes)
            )
            select
                count(*) filter (where built_at = (select max(built_at) from {table})),
                count(*) filter (where contact_id in (select contact_id from rebuilt))
            from {table}
            """
        ).fetchone()
    assert 0 < written < held / 2, (written, held)


def test_the_tests_on_the_latest_build_still_see_a_duplicate_of_an_older_row(
    homes, tmp_path: Path
) -> None:
    """The uniqueness tests of the event grain read only what the latest build wrote (the
    (contact, instant) keys and the ids it wrote or appended) but must still catch a row it
    wrote that duplicates a row an earlier build left: a (contact, instant) written twice, an
    event id given to two contacts; and a null key it wrote."""
    daily, _ = homes
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(daily / "warehouse.duckdb", home / "warehouse.duckdb")
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        # an older row written again by the latest build: in the fold, the same contact and
        # instant; in the events (staged and public), the same event id under another contact
        for table in (
            "intermediate.int_contact_states_folded",
            "marts.fct_engagement_events",
            "staging.stg_landing__engagement_events",
        ):
            latest = f"(select max(built_at) from {table})"
            described = connection.execute(f"describe {table}").fetchall()
            values = ", ".join(
                latest
                if name == "built_at"
                else "contact_id || '-other'"
                if name == "contact_id" and not table.startswith("intermediate.")
                else f'"{name}"'
                for name, *_ in described
            )
            inserted = connection.execute(
                f"insert into {table} select {values} from {table}"
                f" where built_at < {latest} limit 1"
            ).fetchone()[0]
            assert inserted == 1, table
        # a row with a null key written by the latest build: held by no key it wrote
        table = "intermediate.int_engagement_instants_scored"
        latest = f"(select max(built_at) from {table})"
        described = connection.execute(f"describe {table}").fetchall()
        values = ", ".join(
            latest if name == "built_at" else "null" if name == "occurred_at" else f'"{name}"'
            for name, *_ in described
        )
        connection.execute(f"insert into {table} select {values} from {table} limit 1")
    tested = _dbt_test(
        home,
        tmp_path / "target",
        "int_contact_states_folded",
        "int_engagement_instants_scored",
        "fct_engagement_events",
        "stg_landing__engagement_events",
    )
    failed = [line for line in tested.stdout.splitlines() if " FAIL " in line]
    assert any("primary_key_int_contact_states_folded" in f for f in failed), tested.stdout[-3000:]
    for test in (
        "primary_key_int_engagement_instants_scored_contact_id__occurred_at",
        "primary_key_fct_engagement_events_event_id",
        "primary_key_stg_landing__engagement_events_event_id",
    ):
        assert any(test in f for f in failed), tested.stdout[-3000:]
    # on a warehouse built day by day, the test reads what the latest build wrote
    compiled = _compiled_test(tmp_path / "target", "primary_key_fct_engagement_events")
    assert "max(built_at)" in compiled, compiled


def test_the_tests_after_a_full_build_read_the_tables_as_they_are(homes, tmp_path: Path) -> None:
    """After a build that wrote every row, the same tests read the whole table without looking
    each row up among the rows written (a join of 20 M rows with themselves at scale), and still
    find a duplicate."""
    _, once = homes
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(once / "warehouse.duckdb", home / "warehouse.duckdb")
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        table = "marts.fct_engagement_events"
        builds = connection.execute(f"select count(distinct built_at) from {table}").fetchone()
        assert builds == (1,), builds
        connection.execute(f"insert into {table} select * from {table} limit 1")
    tested = _dbt_test(home, tmp_path / "target", "fct_engagement_events")
    failed = [line for line in tested.stdout.splitlines() if " FAIL " in line]
    test = "primary_key_fct_engagement_events_event_id"
    assert any(test in f for f in failed), tested.stdout[-3000:]
    compiled = _compiled_test(tmp_path / "target", "primary_key_fct_engagement_events")
    assert "max(built_at)" not in compiled, compiled


def _dbt_test(home: Path, target: Path, *models: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            DBT,
            "test",
            "--select",
            *models,
            "--exclude-resource-type",
            "unit_test",
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(target),
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, "FUNNEL_HOME": str(home), "FUNNEL_AS_OF": DAYS[-1].isoformat()},
        capture_output=True,
        text=True,
        check=False,
    )


def _compiled_test(target: Path, name: str) -> str:
    """The SQL dbt ran for the data test whose name starts with `name`."""
    (path,) = target.glob(f"compiled/**/{name}*.sql")
    return path.read_text()
