"""Publication to serving.duckdb: no personal identifiers, atomic for readers, gated by checks.

These tests use small warehouses built for the case and stub upstream assets, so they run in
seconds; test_serving_e2e.py runs the real `funnel run` with a reader alongside.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetSelection,
    Definitions,
    MaterializeResult,
    asset_check,
    define_asset_job,
    in_process_executor,
    multi_asset,
    multi_asset_check,
)

from orchestration.defs.dbt_assets import build_dbt_assets
from orchestration.defs.published import PUBLISHED_KEY, build_published_asset, public_table_keys
from orchestration.defs.resources import FunnelHomeResource
from orchestration.publishing import TableDocs, public_table_docs, publish

# the dbt docs of the public tables (their personal columns) come from the project's manifest
pytestmark = pytest.mark.usefixtures("project_manifest")

READER = Path(__file__).with_name("serving_reader.py")
# What a published file must never hold: direct personal identifiers (BI joins on contact_id).
IDENTIFIERS = {"email", "first_name", "last_name", "phone", "linkedin_url"}
TABLES = ["dim_contacts", "rpt_stage_conversion"]


def build_warehouse(path: Path, contacts: int) -> None:
    """A warehouse whose public tables agree: every contact is a lead counted by the report."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute(
            f"""
            create or replace table marts.dim_contacts as
            select
                'c' || i as contact_id,
                'person' || i || '@example.fr' as email,
                'Jeanne' as first_name,
                'Dupont' || i as last_name,
                '+33 6 12 34 56 ' || lpad(cast(i % 100 as varchar), 2, '0') as phone,
                'https://www.linkedin.com/in/person' || i as linkedin_url,
                true as has_valid_email,
                timestamp '2026-01-01' + to_days(cast(i % 90 as integer)) as lead_at
            from range({contacts}) as t(i)
            """
        )
        connection.execute(
            """
            create or replace table marts.rpt_stage_conversion as
            select cast(date_trunc('month', lead_at) as date) as cohort_month, count(*) as leads
            from marts.dim_contacts group by 1
            """
        )


def test_publish_copies_the_tables_without_personal_identifiers(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_warehouse(warehouse, 50)
    docs = {
        "dim_contacts": TableDocs(
            "One row per contact.", {"contact_id": "The contact."}, frozenset(IDENTIFIERS)
        ),
        "rpt_stage_conversion": TableDocs(),
    }
    publication = publish(warehouse, serving, TABLES, run_id="run-1", docs=docs)

    assert publication.row_counts == {"dim_contacts": 50, "rpt_stage_conversion": 2}
    assert set(publication.dropped_columns["dim_contacts"]) == {
        "email",
        "first_name",
        "last_name",
        "phone",
        "linkedin_url",
    }
    with duckdb.connect(str(serving), read_only=True) as connection:
        columns = {
            row[0]
            for row in connection.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'marts' and table_name = 'dim_contacts'"
            ).fetchall()
        }
        assert columns == {"contact_id", "has_valid_email", "lead_at"}
        assert not columns & IDENTIFIERS
        comment = connection.execute(
            "select comment from duckdb_tables() where table_name = 'dim_contacts'"
        ).fetchone()[0]
        assert comment == "One row per contact."
        assert connection.execute(
            "select table_name, row_count, run_id from main.published_tables order by 1"
        ).fetchall() == [("dim_contacts", 50, "run-1"), ("rpt_stage_conversion", 2, "run-1")]
    # only the published file is left: no temporary file, no WAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serving.duckdb", "warehouse.duckdb"]


def test_a_missing_public_table_fails_the_publication_and_keeps_the_previous_one(
    tmp_path: Path,
) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_warehouse(warehouse, 10)
    publish(warehouse, serving, TABLES)
    before = serving.read_bytes()
    documented = {**public_table_docs(), "fct_missing": TableDocs()}
    with pytest.raises(duckdb.CatalogException):
        publish(warehouse, serving, [*TABLES, "fct_missing"], docs=documented)
    assert serving.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serving.duckdb", "warehouse.duckdb"]


def test_the_personal_columns_of_the_dbt_docs_are_left_out_and_undocumented_tables_refused(
    tmp_path: Path,
) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_warehouse(warehouse, 10)
    docs = public_table_docs()
    assert docs["dim_contacts"].personal_columns == IDENTIFIERS  # marked in _marts__models.yml
    # the keys of their `primary_key` tests: the event grain is published by rows
    assert docs["fct_engagement_events"].primary_key == ("event_id",)
    assert docs["dim_contacts"].primary_key == ("contact_id",)
    publication = publish(warehouse, serving, TABLES)  # with the project's docs
    assert set(publication.dropped_columns["dim_contacts"]) == IDENTIFIERS
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create table marts.dim_people as select * from marts.dim_contacts")
    with pytest.raises(ValueError, match="No dbt documentation for dim_people"):
        publish(warehouse, serving, [*TABLES, "dim_people"])


def test_an_open_reader_keeps_its_snapshot_and_does_not_block_the_swap(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_warehouse(warehouse, 10)
    publish(warehouse, serving, TABLES)
    old_inode = serving.stat().st_ino
    # the reader is another process, as BI is (DuckDB locks are per process)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"c = duckdb.connect({str(serving)!r}, read_only=True)\n"
            "count = 'select count(*) from marts.dim_contacts'\n"
            "print(c.execute(count).fetchone()[0], flush=True)\n"
            "sys.stdin.readline()\n"
            "print(c.execute(count).fetchone()[0], flush=True)\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "10"
        build_warehouse(warehouse, 20)
        started = time.monotonic()
        publish(warehouse, serving, TABLES)
        assert time.monotonic() - started < 30
        assert serving.stat().st_ino != old_inode
        reader.stdin.write("\n")
        reader.stdin.flush()
        # the open connection still reads the file it opened, whole
        assert reader.stdout.readline().strip() == "10"
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    with duckdb.connect(str(serving), read_only=True) as connection:
        assert connection.execute("select count(*) from marts.dim_contacts").fetchone()[0] == 20


def test_a_reader_in_a_loop_sees_only_complete_snapshots_while_publications_swap(
    tmp_path: Path,
) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_warehouse(warehouse, 100)
    publish(warehouse, serving, TABLES)
    out, stop = tmp_path / "reader.json", tmp_path / "stop"
    reader = subprocess.Popen(
        [
            sys.executable,
            str(READER),
            str(serving),
            str(out),
            "--seconds",
            "60",
            "--stop-file",
            str(stop),
        ]
    )
    try:
        time.sleep(0.5)
        for contacts in (2_000, 300, 5_000, 700, 3_000, 100):
            build_warehouse(warehouse, contacts)
            publish(warehouse, serving, TABLES)
            time.sleep(0.2)
    finally:
        stop.touch()
        reader.wait(timeout=90)
    seen = json.loads(out.read_text())
    assert seen["errors"] == [] and seen["error_count"] == 0
    assert seen["incomplete"] == []
    assert seen["reads"] > 10
    assert len(seen["versions"]) >= 3, seen["versions"]


# ---------------------------------------------------------------------------------------------
# Gating: the publication runs only when the blocking checks upstream passed (in-process job).

CHECKED_KEY = AssetKey(["marts", "dim_contacts"])


@functools.cache
def _public_tables() -> list[AssetKey]:
    """The real public tables (the dbt models of schema marts), as the code location finds them."""
    return public_table_keys(build_dbt_assets().keys)


def _stub_public_tables(check_in_step: bool | None):
    """Stand-ins for the dbt assets: they write each public table; optionally a blocking check
    evaluated in the same step, as dagster-dbt does for dbt tests."""
    specs = (
        [AssetCheckSpec("in_step_check", asset=CHECKED_KEY, blocking=True)]
        if check_in_step is not None
        else []
    )

    @multi_asset(specs=[_spec(key) for key in _public_tables()], check_specs=specs, name="stubs")
    def stubs(funnel_home: FunnelHomeResource):
        with duckdb.connect(str(funnel_home.paths.warehouse)) as connection:
            connection.execute("create schema if not exists marts")
            for key in _public_tables():
                connection.execute(  # with the as-of day publication compares
                    f'create or replace table marts."{key.path[-1]}" as select 1 as id, '
                    "'x@y.fr' as email, current_date as as_of_date"
                )
        for key in _public_tables():
            yield MaterializeResult(asset_key=key)
        if check_in_step is not None:
            yield AssetCheckResult(
                asset_key=CHECKED_KEY,
                check_name="in_step_check",
                passed=check_in_step,
                severity=AssetCheckSeverity.ERROR,
            )

    return stubs


def _spec(key: AssetKey):
    from dagster import AssetSpec

    return AssetSpec(key)


def _separate_check(passed: bool):
    @asset_check(asset=CHECKED_KEY, blocking=True, name="separate_check")
    def separate_check() -> AssetCheckResult:
        return AssetCheckResult(passed=passed, severity=AssetCheckSeverity.ERROR)

    return separate_check


def _multi_check(passed: bool):
    """Like the great-expectations checks: one op, several blocking check specs."""

    @multi_asset_check(
        specs=[AssetCheckSpec("gx_like", asset=key, blocking=True) for key in _public_tables()],
        name="gx_like_checks",
    )
    def gx_like_checks():
        for key in _public_tables():
            yield AssetCheckResult(
                asset_key=key,
                check_name="gx_like",
                passed=passed or key != CHECKED_KEY,
                severity=AssetCheckSeverity.ERROR,
            )

    return gx_like_checks


def _run_gated(home: Path, kind: str, passed: bool):
    checks = []
    if kind == "separate":
        checks = [_separate_check(passed)]
    elif kind == "multi":
        checks = [_multi_check(passed)]
    stubs = _stub_public_tables(passed if kind == "in_step" else None)
    job = define_asset_job(
        "gated", selection=AssetSelection.all(), executor_def=in_process_executor
    )
    defs = Definitions(
        assets=[stubs, build_published_asset(_public_tables())],
        asset_checks=checks,
        jobs=[job],
        resources={"funnel_home": FunnelHomeResource(home=str(home))},
    )
    return defs.resolve_job_def("gated").execute_in_process(raise_on_error=False)


@pytest.mark.parametrize("kind", ["separate", "multi", "in_step"])
def test_a_failed_blocking_check_upstream_stops_the_publication(tmp_path: Path, kind: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    serving = home / "serving.duckdb"

    first = _run_gated(home, kind, passed=True)
    assert first.success
    assert PUBLISHED_KEY in {e.asset_key for e in first.get_asset_materialization_events()}
    before = serving.read_bytes()
    (home / "warehouse.duckdb").unlink()  # the next build would publish other data

    second = _run_gated(home, kind, passed=False)
    assert not second.success
    materialized = {e.asset_key for e in second.get_asset_materialization_events()}
    # the tables were built (only the check failed), and the publication did not run
    assert CHECKED_KEY in materialized
    assert PUBLISHED_KEY not in materialized
    started = {e.step_key for e in second.all_events if e.event_type_value == "STEP_START"}
    assert "serving__published" not in started
    assert serving.read_bytes() == before, "the previous publication must stay in place"


def test_the_real_publication_depends_on_every_public_model() -> None:
    from orchestration.defs.definitions import defs

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    funnel_dbt_assets = build_dbt_assets()
    marts = {key for key in funnel_dbt_assets.keys if key.path[0] == "marts"}
    assert marts >= {
        AssetKey(["marts", "dim_contacts"]),
        AssetKey(["marts", "rpt_stage_conversion"]),
    }
    assert set(graph.get(PUBLISHED_KEY).parent_keys) == marts
    # dbt tests of severity error on the public models are blocking checks
    blocking = {spec.asset_key for spec in funnel_dbt_assets.check_specs if spec.blocking}
    assert AssetKey(["marts", "dim_contacts"]) in blocking
    assert AssetKey(["marts", "rpt_stage_conversion"]) in blocking


def test_the_report_runs_after_the_publication_with_the_language_of_the_run_config() -> None:
    from orchestration.defs.definitions import defs
    from orchestration.defs.reporting import LEADERSHIP_REPORT_KEY
    from orchestration.defs.schedules import REPORT_OP_NAME, run_config_as_of

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    assert set(graph.get(LEADERSHIP_REPORT_KEY).parent_keys) == {PUBLISHED_KEY}
    job = definitions.resolve_job_def("funnel_job")
    assert REPORT_OP_NAME in {node.name for node in job.graph.nodes}
    assert run_config_as_of("2026-06-30", "fr")["ops"][REPORT_OP_NAME] == {"config": {"lang": "fr"}}
