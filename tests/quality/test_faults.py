"""Each check catches the fault it guards against, with the right count and the right effect.

Every case copies the clean warehouse and injects one fault with SQL. A raw suite (the raw gate)
and the volume of a model's suite run the way the Dagster check does (GX on DuckDB, SQL pushdown);
a model rule runs as its dbt test does (the query dbt compiled for it). Public tables have enforced
contracts, so a fault their constraints would refuse (a duplicate key) is injected into a copy
without them, as a broken model would have built it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from quality_base import AS_OF, CleanBase

from orchestration.defs.quality_checks import check_result
from orchestration.quality.gx_runner import validate_suites
from orchestration.quality.outcomes import SuiteOutcome
from orchestration.quality.suites import (
    BLOCKING_SEVERITY,
    CHECK_NAME,
    ROW_COUNT_EXPECTATION,
    load_suites,
)
from orchestration.settings import PROJECT_DIR

pytestmark = pytest.mark.slow

DBT = str(Path(sys.executable).parent / "dbt")

SUITES = {suite.name: suite for suite in load_suites()}


@dataclass(frozen=True)
class Fault:
    suite: str
    sql: str
    expectation: str  # the description of the expectation that must fail
    unexpected: int
    blocking: bool


def _rebuilt(table: str, select: str) -> str:
    """Rebuild a table from a query (dropping its contract's constraints, as a bad model would)."""
    return f"create or replace table {table} as {select}"


FAULTS = {
    "raw companies with impossible head counts": Fault(
        "raw.companies",
        "update raw.companies set employee_count = -5 where company_id in"
        " (select company_id from raw.companies order by company_id limit 3)",
        "employee_count is a plausible head count (var plausible_employee_count)",
        3,
        False,
    ),
    "raw contacts with broken emails": Fault(
        "raw.contacts",
        "update raw.contacts set email = 'jean.dupont@acme' where contact_id in"
        " (select contact_id from raw.contacts order by contact_id limit 4)",
        "emails are syntactically valid (name@domain.tld)",
        4,
        False,
    ),
    "raw events after the as-of day": Fault(
        "raw.engagement_events",
        "update raw.engagement_events set occurred_at = timestamp '2026-07-01 00:00:00'"
        " where event_id in (select event_id from raw.engagement_events order by event_id limit 5)",
        "occurred_at is neither before the date floor (var earliest_plausible_date) nor after the"
        " run's as-of day",
        5,
        False,
    ),
    "raw activities before 2000": Fault(
        "raw.sales_activities",
        "update raw.sales_activities set occurred_at = timestamp '1999-12-31 23:00:00'"
        " where activity_id in"
        " (select activity_id from raw.sales_activities order by activity_id limit 2)",
        "occurred_at is neither before the date floor (var earliest_plausible_date) nor after the"
        " run's as-of day",
        2,
        False,
    ),
    "raw opportunities with a negative amount": Fault(
        "raw.opportunities",
        "update raw.opportunities set amount_eur = -1 where opportunity_id in"
        " (select opportunity_id from raw.opportunities order by opportunity_id limit 1)",
        "amount_eur is a plausible amount (var plausible_amount_eur)",
        1,
        False,
    ),
}


@dataclass(frozen=True)
class ModelFault:
    """A fault in a model, and the dbt test that catches it: (model, column or None, test)."""

    test: tuple[str, str | None, str]
    sql: str
    unexpected: int  # failing rows the test returns; -1: as many as the fault touched
    blocking: bool


# The model rules are dbt tests (the suites on models keep the volume): each catches its fault.
MODEL_FAULTS = {
    "staged companies with invalid domains": ModelFault(
        ("stg_landing__companies", "domain", "valid_domain"),
        "update raw.companies set domain = 'acme dot fr' where company_id in"
        " (select company_id from raw.companies order by company_id limit 2)",
        2,
        False,
    ),
    "staged contacts with a country that is no ISO code": ModelFault(
        ("stg_landing__contacts", "country_code", "relationships"),
        # staged contacts are a table (see the model): the fault is where the test reads
        "update staging.stg_landing__contacts set country_code = 'Atlantis' where contact_id in"
        " (select contact_id from staging.stg_landing__contacts order by contact_id limit 3)",
        3,
        False,
    ),
    "staged events whose contact nobody knows": ModelFault(
        ("stg_landing__engagement_events", "contact_id", "known_by_id_or_email"),
        # staged events are a table (see the model): the fault is where the test reads
        "update staging.stg_landing__engagement_events set contact_id = 'CON-NOBODY', email = null"
        " where event_id in"
        " (select event_id from staging.stg_landing__engagement_events order by event_id limit 6)",
        6,
        False,
    ),
    "staged activities of an unknown type": ModelFault(
        ("stg_landing__sales_activities", "activity_type", "relationships_where"),
        "update raw.sales_activities set activity_type = 'carrier pigeon' where activity_id in"
        " (select activity_id from raw.sales_activities order by activity_id limit 2)",
        2,
        False,
    ),
    "companies with a fit score over 100": ModelFault(
        ("dim_companies", "icp_fit_score", "score_in_range"),
        "update marts.dim_companies set icp_fit_score = 150 where company_id in"
        " (select company_id from marts.dim_companies order by company_id limit 2)",
        2,
        True,
    ),
    "a contact twice": ModelFault(
        ("dim_contacts", "contact_id", "primary_key"),
        _rebuilt(
            "marts.dim_contacts",
            "select * from marts.dim_contacts union all"
            " (select * from marts.dim_contacts order by contact_id limit 1)",
        ),
        1,  # the primary key test returns each duplicated id once
        True,
    ),
    "a contact without id": ModelFault(
        ("dim_contacts", "contact_id", "primary_key"),
        _rebuilt(
            "marts.dim_contacts",
            "select * replace (case when contact_id = (select min(contact_id)"
            " from marts.dim_contacts) then null else contact_id end as contact_id)"
            " from marts.dim_contacts",
        ),
        1,  # the null key, once
        True,
    ),
    "contacts in a stage out of the set": ModelFault(
        ("dim_contacts", "funnel_stage", "relationships"),
        "update marts.dim_contacts set funnel_stage = 'zombie' where contact_id in"
        " (select contact_id from marts.dim_contacts order by contact_id limit 3)",
        3,
        True,
    ),
    "events of a contact missing from dim_contacts": ModelFault(
        ("fct_engagement_events", "contact_id", "relationships"),
        "update marts.fct_engagement_events set contact_id = 'CON-GHOST' where event_id in"
        " (select event_id from marts.fct_engagement_events order by event_id limit 4)",
        4,
        True,
    ),
    "transitions out of funnel order": ModelFault(
        ("fct_funnel_transitions", None, "stages_entered_in_funnel_order"),
        "update marts.fct_funnel_transitions set entered_at = timestamp '2026-06-30 12:00:00'"
        " where stage = 'prospect' and contact_id in ("
        "select contact_id from marts.fct_funnel_transitions where stage = 'lead'"
        " and entered_at < timestamp '2026-06-01' intersect"
        " select contact_id from marts.fct_funnel_transitions where stage = 'prospect'"
        " order by contact_id limit 3)",
        3,
        True,
    ),
    "a negative daily count": ModelFault(
        ("fct_funnel_daily", "contacts", "not_negative"),
        "update marts.fct_funnel_daily set contacts = -1 where funnel_date ="
        " (select max(funnel_date) from marts.fct_funnel_daily) and contacts > 0"
        " and stage = 'lead'",
        -1,
        True,
    ),
    "conversion rates above 1": ModelFault(
        ("rpt_stage_conversion", "lead_to_mql_rate", "score_in_range"),
        "update marts.rpt_stage_conversion set lead_to_mql_rate = 1.5 where rowid in"
        " (select rowid from marts.rpt_stage_conversion where lead_to_mql_rate is not null"
        " order by rowid limit 2)",
        2,
        True,
    ),
    "a scorecard rate above 1": ModelFault(
        ("rpt_b2b_base_quality", "pass_rate", "score_in_range"),
        "update marts.rpt_b2b_base_quality set pass_rate = 1.5 where quality_check_id ="
        " 'contacts:email_missing:all'",
        1,
        True,
    ),
}


@pytest.fixture(scope="module")
def workspace(clean_base: CleanBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("quality_faults")


def _validate(workspace: Path, suite_name: str, baselines=None) -> SuiteOutcome:
    [outcome] = validate_suites(
        workspace / "warehouse.duckdb",
        [SUITES[suite_name]],
        as_of=AS_OF,
        baselines=baselines or {},
        gx_root=workspace,
        docs_dir=workspace / "reports" / "data_docs",
        build_docs=False,
    )
    return outcome


def _faulty_copy(clean_base: CleanBase, workspace: Path, sql: str) -> int:
    warehouse = workspace / "warehouse.duckdb"
    shutil.copy(clean_base.pristine, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        touched = connection.execute(sql).fetchone()
    return touched[0] if touched else 0


def test_every_suite_has_a_fault_case() -> None:
    """The raw suites here; the suites on models hold only their volume, collapsed below."""
    raw = {name for name, suite in SUITES.items() if suite.layer == "raw"}
    assert {fault.suite for fault in FAULTS.values()} == raw
    for name in set(SUITES) - raw:
        assert [e["type"] for e in SUITES[name].expectations] == [ROW_COUNT_EXPECTATION], name


@pytest.mark.parametrize("case", list(FAULTS))
def test_the_suite_catches_its_fault(clean_base: CleanBase, workspace: Path, case: str) -> None:
    fault = FAULTS[case]
    touched = _faulty_copy(clean_base, workspace, fault.sql)
    expected = touched if fault.unexpected == -1 else fault.unexpected
    assert expected > 0, "the fault touched no row: the test data lacks the case"

    outcome = _validate(workspace, fault.suite)

    failed = {o.label: o for o in outcome.failed}
    assert set(failed) == {fault.expectation}, {k: o.error for k, o in failed.items()}
    found = failed[fault.expectation]
    assert found.error is None
    assert found.unexpected_count == expected
    assert found.sample, "the operator gets a sample of the failing values"
    result = check_result(outcome, workspace / "index.html")
    assert result.check_name == CHECK_NAME and result.asset_key == SUITES[fault.suite].asset_key
    assert not result.passed
    assert (result.severity.value == "ERROR") is fault.blocking
    assert (found.severity == BLOCKING_SEVERITY) is fault.blocking
    assert result.metadata["unexpected_rows"].value == expected
    # the query in the message finds exactly the failing rows (a uniqueness query lists each
    # duplicated key once, with its `row_count`)
    with duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True) as connection:
        listed = connection.execute(f"select * from ({found.failing_rows_sql})")
        columns = [column[0] for column in listed.description]
        listed_rows = listed.fetchall()
    if "row_count" in columns:
        rows = sum(row[columns.index("row_count")] for row in listed_rows)
    else:
        rows = len(listed_rows)
    assert rows == expected
    assert found.failing_rows_sql in result.description


@pytest.mark.parametrize(
    "suite_name", sorted(name for name, suite in SUITES.items() if suite.layer != "raw")
)
def test_a_collapsed_row_count_blocks_against_the_previous_run(
    clean_base: CleanBase, workspace: Path, suite_name: str
) -> None:
    table = SUITES[suite_name].table
    schema, name = table.split(".")
    with duckdb.connect(str(clean_base.pristine), read_only=True) as connection:
        [before] = connection.execute(f"select count(*) from {table}").fetchone()
        [kind] = connection.execute(
            "select table_type from information_schema.tables"
            " where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()
    # half the rows, as a broken model would have built it (a staged view becomes a table)
    full = f"{table}__full"
    _faulty_copy(
        clean_base,
        workspace,
        (f"alter view {table} rename to {name}__full; " if kind == "VIEW" else "")
        + _rebuilt(
            table,
            f"select * from {full if kind == 'VIEW' else table}"
            " using sample 50 percent (bernoulli, 7)",
        ),
    )
    outcome = _validate(workspace, suite_name, {suite_name: before})
    [failed] = outcome.blocking_failed
    assert failed.expectation_type == ROW_COUNT_EXPECTATION
    result = check_result(outcome, workspace / "index.html")
    assert result.severity.value == "ERROR"
    assert result.metadata["row_count_baseline"].value == before
    # the baseline of the next run stays the accepted count, not the collapsed one
    assert result.metadata["accepted_row_count"].value == before
    assert "FUNNEL_QUALITY_ACCEPT_ROW_COUNTS=1" in result.description


@pytest.fixture(scope="module")
def model_tests(clean_base: CleanBase, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The compiled SQL and severity of the dbt tests of MODEL_FAULTS, by (model, column, test)."""
    target = tmp_path_factory.mktemp("dbt_target")
    home = tmp_path_factory.mktemp("dbt_home")
    shutil.copy(clean_base.pristine, home / "warehouse.duckdb")
    tests_of = " ".join(sorted({f"{model},resource_type:test" for model, _, _ in _fault_tests()}))
    subprocess.run(
        [
            *(DBT, "compile", "--quiet", "--profiles-dir", str(PROJECT_DIR)),
            *("--target-path", str(target), "--vars", json.dumps({"as_of": AS_OF.isoformat()})),
            *("--select", tests_of),
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, "FUNNEL_HOME": str(home)},
        check=True,
    )
    manifest = json.loads((target / "manifest.json").read_text())
    tests: dict = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        model = (node.get("attached_node") or "").rsplit(".", 1)[-1]
        key = (model, node.get("column_name"), node["test_metadata"]["name"])
        if key in _fault_tests() and node.get("compiled_code"):
            tests.setdefault(key, []).append((node["compiled_code"], node["config"]["severity"]))
    return tests


def _fault_tests() -> set[tuple[str, str | None, str]]:
    return {fault.test for fault in MODEL_FAULTS.values()}


@pytest.mark.parametrize("case", list(MODEL_FAULTS))
def test_the_dbt_test_catches_its_fault(
    clean_base: CleanBase, workspace: Path, model_tests: dict, case: str
) -> None:
    """What `dbt build` finds: the test's query (as dbt compiled it) returns the failing rows."""
    fault = MODEL_FAULTS[case]
    assert fault.test in model_tests, f"no dbt test {fault.test}"
    [(sql, severity)] = model_tests[fault.test]
    _faulty_copy(clean_base, workspace, "select 1")  # the clean base, named as dbt names it
    with duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True) as connection:
        [clean] = connection.execute(f"select count(*) from ({sql}) as failures").fetchone()
    assert clean == 0, "the clean base already fails the test"
    touched = _faulty_copy(clean_base, workspace, fault.sql)
    expected = touched if fault.unexpected == -1 else fault.unexpected
    assert expected > 0, "the fault touched no row: the test data lacks the case"
    with duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True) as connection:
        [found] = connection.execute(f"select count(*) from ({sql}) as failures").fetchone()
    assert found == expected
    assert (severity.lower() == "error") is fault.blocking


@pytest.mark.parametrize("torn", ["expectations", "validation_definitions", "uncommitted", "yml"])
def test_a_gx_file_cut_short_by_a_killed_run_does_not_stop_the_next_checks(
    clean_base: CleanBase, tmp_path: Path, torn: str
) -> None:
    """great-expectations writes its project files in place: a run killed while it writes one
    leaves it cut short (or empty), and the next run's checks must still run."""
    workspace = tmp_path / "home"
    workspace.mkdir()
    _faulty_copy(clean_base, workspace, "select 1")
    suite = "staging.stg_landing__engagement_events"
    first = _validate(workspace, suite)
    project = workspace / "gx"
    if torn == "yml":
        files = [project / "great_expectations.yml"]
    else:
        names = (suite, suite.replace(".", "/"))  # suites are stored as staging/<table>.json
        files = [p for p in (project / torn).glob("**/*.json") if any(n in str(p) for n in names)]
    assert files, f"no {torn} file of {suite}"
    for path in files:
        text = path.read_bytes()
        path.write_bytes(text[: len(text) // 2])  # the write stopped halfway
    second = _validate(workspace, suite)
    assert [o.success for o in second.outcomes] == [o.success for o in first.outcomes]
    for path in project.glob("**/*.json"):  # every file readable again
        assert isinstance(json.loads(path.read_bytes()), dict), path


def test_the_checks_hold_no_lock_on_the_warehouse(clean_base: CleanBase, workspace: Path) -> None:
    _faulty_copy(clean_base, workspace, "select 1")
    _validate(workspace, "staging.stg_landing__engagement_events")
    # a writer (dbt, a load) can open the file right after
    with duckdb.connect(str(workspace / "warehouse.duckdb")) as connection:
        connection.execute("create table main.written_after_the_check as select 1 as x")
