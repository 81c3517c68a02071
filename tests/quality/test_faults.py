"""Each suite catches the fault it guards against, with the right count and the right effect.

Every case copies the clean warehouse, injects one fault with SQL, and runs that one suite the way
the Dagster check does (GX on DuckDB, SQL pushdown). Public tables have enforced contracts, so a
fault their constraints would refuse (a duplicate key) is injected into a copy without them, as a
broken model would have built it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from quality_base import AS_OF, CleanBase

from orchestration.defs.quality_checks import check_result
from orchestration.quality.gx_runner import validate_suites
from orchestration.quality.outcomes import SuiteOutcome
from orchestration.quality.suites import BLOCKING_SEVERITY, CHECK_NAME, load_suites

pytestmark = pytest.mark.slow

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
        "employee_count is between 0 and 5 million",
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
        "occurred_at is neither before 2000 nor after the run's as-of day",
        5,
        False,
    ),
    "raw activities before 2000": Fault(
        "raw.sales_activities",
        "update raw.sales_activities set occurred_at = timestamp '1999-12-31 23:00:00'"
        " where activity_id in"
        " (select activity_id from raw.sales_activities order by activity_id limit 2)",
        "occurred_at is neither before 2000 nor after the run's as-of day",
        2,
        False,
    ),
    "raw opportunities with a negative amount": Fault(
        "raw.opportunities",
        "update raw.opportunities set amount_eur = -1 where opportunity_id in"
        " (select opportunity_id from raw.opportunities order by opportunity_id limit 1)",
        "amount_eur is between 0 and 100 billion euros",
        1,
        False,
    ),
    "staged companies with invalid domains": Fault(
        "staging.stg_landing__companies",
        "update raw.companies set domain = 'acme dot fr' where company_id in"
        " (select company_id from raw.companies order by company_id limit 2)",
        "web domains are syntactically valid (acme.fr, no scheme, path or spaces)",
        2,
        False,
    ),
    "staged contacts with a country that is no ISO code": Fault(
        "staging.stg_landing__contacts",
        "update raw.contacts set country = 'Atlantis' where contact_id in"
        " (select contact_id from raw.contacts order by contact_id limit 3)",
        "country_code is an ISO 3166-1 alpha-2 country code",
        3,
        False,
    ),
    "staged events whose contact nobody knows": Fault(
        "staging.stg_landing__engagement_events",
        # staged events are a table (see the model): the fault is where the suite reads
        "update staging.stg_landing__engagement_events set contact_id = 'CON-NOBODY', email = null"
        " where event_id in"
        " (select event_id from staging.stg_landing__engagement_events order by event_id limit 6)",
        "every event's contact is known, by contact id or by email",
        6,
        False,
    ),
    "staged activities of an unknown type": Fault(
        "staging.stg_landing__sales_activities",
        "update raw.sales_activities set activity_type = 'carrier pigeon' where activity_id in"
        " (select activity_id from raw.sales_activities order by activity_id limit 2)",
        "activity_type is a canonical activity type",
        2,
        False,
    ),
    "companies with a fit score over 100": Fault(
        "marts.dim_companies",
        "update marts.dim_companies set icp_fit_score = 150 where company_id in"
        " (select company_id from marts.dim_companies order by company_id limit 2)",
        "icp_fit_score is between 0 and 100",
        2,
        True,
    ),
    "a contact twice": Fault(
        "marts.dim_contacts",
        _rebuilt(
            "marts.dim_contacts",
            "select * from marts.dim_contacts union all"
            " (select * from marts.dim_contacts order by contact_id limit 1)",
        ),
        "contact_id identifies one row",
        2,  # both rows of the duplicated id are unexpected
        True,
    ),
    "contacts in a stage out of the set": Fault(
        "marts.dim_contacts",
        "update marts.dim_contacts set funnel_stage = 'zombie' where contact_id in"
        " (select contact_id from marts.dim_contacts order by contact_id limit 3)",
        "funnel_stage is a funnel state",
        3,
        True,
    ),
    "events of a contact missing from dim_contacts": Fault(
        "marts.fct_engagement_events",
        "update marts.fct_engagement_events set contact_id = 'CON-GHOST' where event_id in"
        " (select event_id from marts.fct_engagement_events order by event_id limit 4)",
        "every event's contact is in dim_contacts",
        4,
        True,
    ),
    "transitions out of funnel order": Fault(
        "marts.fct_funnel_transitions",
        "update marts.fct_funnel_transitions set entered_at = timestamp '2026-06-30 12:00:00'"
        " where stage = 'prospect' and contact_id in ("
        "select contact_id from marts.fct_funnel_transitions where stage = 'lead'"
        " and entered_at < timestamp '2026-06-01' intersect"
        " select contact_id from marts.fct_funnel_transitions where stage = 'prospect'"
        " order by contact_id limit 3)",
        "each contact first enters the stages in funnel order"
        " (prospect, lead, MQL, SQL, opportunity, customer)",
        3,
        True,
    ),
    "a negative daily count": Fault(
        "marts.fct_funnel_daily",
        "update marts.fct_funnel_daily set contacts = -1 where funnel_date ="
        " (select max(funnel_date) from marts.fct_funnel_daily) and contacts > 0"
        " and stage = 'lead'",
        "contacts is not negative",
        -1,  # as many rows as the update touched
        True,
    ),
    "conversion rates above 1": Fault(
        "marts.rpt_stage_conversion",
        "update marts.rpt_stage_conversion set lead_to_mql_rate = 1.5 where rowid in"
        " (select rowid from marts.rpt_stage_conversion where lead_to_mql_rate is not null"
        " order by rowid limit 2)",
        "lead_to_mql_rate is a conversion rate between 0 and 1",
        2,
        True,
    ),
    "a scorecard rate above 1": Fault(
        "marts.rpt_b2b_base_quality",
        "update marts.rpt_b2b_base_quality set pass_rate = 1.5 where quality_check_id ="
        " 'contacts:email_missing:all'",
        "pass_rate is a rate between 0 and 1",
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
    assert {fault.suite for fault in FAULTS.values()} == set(SUITES)


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


def test_a_collapsed_row_count_blocks_against_the_previous_run(
    clean_base: CleanBase, workspace: Path
) -> None:
    with duckdb.connect(str(clean_base.pristine), read_only=True) as connection:
        before = connection.execute("select count(*) from marts.fct_engagement_events").fetchone()
    _faulty_copy(
        clean_base,
        workspace,
        _rebuilt(
            "marts.fct_engagement_events",
            "select * from marts.fct_engagement_events using sample 50 percent (bernoulli, 7)",
        ),
    )
    outcome = _validate(
        workspace, "marts.fct_engagement_events", {"marts.fct_engagement_events": before[0]}
    )
    [failed] = outcome.blocking_failed
    assert failed.expectation_type == "expect_table_row_count_to_be_between"
    result = check_result(outcome, workspace / "index.html")
    assert result.severity.value == "ERROR"
    assert result.metadata["row_count_baseline"].value == before[0]
    # the baseline of the next run stays the accepted count, not the collapsed one
    assert result.metadata["accepted_row_count"].value == before[0]
    assert "FUNNEL_QUALITY_ACCEPT_ROW_COUNTS=1" in result.description


def test_the_checks_hold_no_lock_on_the_warehouse(clean_base: CleanBase, workspace: Path) -> None:
    _faulty_copy(clean_base, workspace, "select 1")
    _validate(workspace, "staging.stg_landing__engagement_events")
    # a writer (dbt, a load) can open the file right after
    with duckdb.connect(str(workspace / "warehouse.duckdb")) as connection:
        connection.execute("create table main.written_after_the_check as select 1 as x")
