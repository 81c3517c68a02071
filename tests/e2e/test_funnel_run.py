"""End to end: generate a small base, run `funnel run` as a user would, check what it built."""

from __future__ import annotations

import os
import subprocess
from itertools import pairwise

import pytest
from pipeline_run import AS_OF, FUNNEL, Run

from orchestration.vocabulary import earliest_plausible_date, funnel_stages

pytestmark = pytest.mark.e2e

STAGES = funnel_stages()


def test_funnel_run_succeeds_and_prints_the_summary(run: Run) -> None:
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    assert "Rows per table:" in run.result.stdout
    assert "Contacts per funnel stage:" in run.result.stdout
    assert str(run.home / "warehouse.duckdb") in run.result.stdout


def test_the_build_ran_in_dbt_started_ahead(run: Run) -> None:
    """`funnel run` imports dbt and parses the project while it loads (orchestration/
    dbt_worker.py): the build ran there, and its parse state is kept for the home's next build."""
    assert "Running dbt command (dbt started ahead)" in run.result.stdout + run.result.stderr
    assert (run.home / "dbt" / "partial_parse.msgpack").is_file()


@pytest.mark.parametrize(
    "entity", ["companies", "contacts", "engagement_events", "sales_activities", "opportunities"]
)
def test_raw_tables_hold_every_generated_row_but_the_unparseable(run: Run, entity: str) -> None:
    loaded = run.scalar(f"select count(*) from raw.{entity}")
    quarantined = run.scalar(f"select count(*) from raw._quarantine where entity = '{entity}'")
    assert loaded == run.summary.rows[entity] - run.summary.unparseable_rows(entity)
    assert quarantined == run.summary.unparseable_rows(entity)


def test_every_loaded_company_is_in_dim_companies(run: Run) -> None:
    assert run.scalar("select count(*) from marts.dim_companies") == run.scalar(
        "select count(distinct company_id) from raw.companies"
    )


def test_dim_contacts_holds_each_person_known_on_the_as_of_day_once(run: Run) -> None:
    created_later = run.scalar(
        f"select count(*) from raw.contacts where created_at >= date '{AS_OF}' + interval 1 day"
    )
    loaded = run.scalar("select count(*) from raw.contacts")
    persons = run.scalar("select count(*) from marts.dim_contacts")
    # each generated duplicate is a second record of a person with an email
    assert persons == loaded - created_later - run.summary.duplicate_contacts


def test_stage_dates_never_go_backwards(run: Run) -> None:
    pairs = [(a, b) for i, a in enumerate(STAGES) for b in STAGES[i + 1 :]]
    condition = " or ".join(f"{a}_at > {b}_at" for a, b in pairs)
    assert run.scalar(f"select count(*) from marts.dim_contacts where {condition}") == 0


def test_counts_per_highest_stage_reached_are_monotone_from_lead_upward(run: Run) -> None:
    reached = [run.scalar(f"select count({s}_at) from marts.dim_contacts") for s in STAGES]
    assert all(a >= b for a, b in pairwise(reached[1:])), reached
    assert reached[STAGES.index("mql")] > 0 and reached[STAGES.index("customer")] > 0, reached


def test_every_contact_has_exactly_one_current_stage_matching_its_history(run: Run) -> None:
    rows = run.query(
        """
        select count(*), count(funnel_stage), count(distinct contact_id) from marts.dim_contacts
        """
    )
    assert rows[0][0] == rows[0][1] == rows[0][2]
    # the last day of the daily funnel is the current state of every contact
    mismatched = run.query(
        f"""
        with daily as (
            select stage, sum(contacts) as contacts from marts.fct_funnel_daily
            where funnel_date = date '{AS_OF}' group by stage
        ),
        current as (
            select funnel_stage as stage, count(*) as contacts from marts.dim_contacts group by 1
        )
        select * from daily full join current using (stage)
        where daily.contacts is distinct from current.contacts
        """
    )
    assert not mismatched


def test_score_components_sum_to_the_scores(run: Run) -> None:
    mismatched = run.scalar(
        """
        with components as (
            select
                contact_id,
                sum(case when score = 'icp_fit' then points else 0 end) as fit,
                sum(case when score = 'engagement' then points else 0 end) as engagement
            from marts.fct_contact_score_components group by contact_id
        )
        select count(*) from marts.dim_contacts
        left join components using (contact_id)
        where abs(coalesce(components.fit, 0) - icp_fit_score) > 1e-9
           or abs(coalesce(components.engagement, 0) - engagement_score) > 1e-6
        """
    )
    assert mismatched == 0


def test_nothing_after_the_as_of_day_is_counted(run: Run) -> None:
    after = f"occurred_at >= date '{AS_OF}' + 1"
    assert run.scalar(f"select count(*) from marts.fct_engagement_events where {after}") == 0
    assert run.scalar("select max(as_of_date) from marts.dim_contacts") == AS_OF


def test_no_stage_cohort_or_duration_uses_a_date_before_the_floor(run: Run) -> None:
    """The generated base holds events, activities and creations dated 1900-01-01 and
    1970-01-01 (export defaults): the scorecard counts them, the funnel never reads them."""
    floor = earliest_plausible_date()
    implausible = run.scalar(
        f"select count(*) from staging.stg_landing__engagement_events where occurred_at < '{floor}'"
    )
    assert implausible > 0, "the generated base lacks the case"
    counted = run.scalar(
        "select sum(failed_count) from marts.rpt_b2b_base_quality"
        " where entity = 'engagement_events' and check_name = 'occurred_at_out_of_range'"
        " and record_source = 'all'"
    )
    assert counted >= implausible
    stage_dates = ", ".join(f"min({stage}_at)" for stage in STAGES)
    earliest = [
        run.scalar("select min(entered_at) from marts.fct_funnel_transitions"),
        run.scalar("select min(cohort_month) from marts.rpt_stage_conversion"),
        *run.query(f"select {stage_dates} from marts.dim_contacts")[0],
        run.scalar("select min(occurred_at) from marts.fct_engagement_events"),
    ]
    assert all(day is None or str(day) >= floor.isoformat() for day in earliest), earliest


def test_a_second_run_loads_nothing_again(run: Run) -> None:
    env = {**os.environ, "FUNNEL_HOME": str(run.home), "DAGSTER_HOME": str(run.home / "dagster")}
    before = run.scalar("select count(*) from raw.engagement_events")
    again = subprocess.run(
        [FUNNEL, "run", "--as-of", AS_OF.isoformat()], env=env, capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert run.scalar("select count(*) from raw.engagement_events") == before
