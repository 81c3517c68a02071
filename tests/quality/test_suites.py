"""The suites under expectations/ and the pure helpers that turn them into Dagster checks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from orchestration.defs.schedules import run_as_of
from orchestration.quality.failing_rows import failing_rows_sql
from orchestration.quality.failures import failed_check_lines
from orchestration.quality.parameters import row_count_bounds
from orchestration.quality.suites import CHECK_NAME, load_suites

# Expectations that run as SQL on DuckDB here: regex and LIKE ones do not, so they
# are written as unexpected_rows_expectation with regexp_full_match.
SQL_SAFE = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between",
    "expect_table_row_count_to_be_between",
    "unexpected_rows_expectation",
}


def test_each_suite_protects_one_table_of_each_layer() -> None:
    suites = load_suites()
    assert {s.layer for s in suites} == {"raw", "staging", "marts"}
    assert len({s.table for s in suites}) == len(suites)


@pytest.mark.parametrize("suite", load_suites(), ids=lambda s: s.name)
def test_suites_run_on_sql_and_say_their_severity(suite) -> None:
    for expectation in suite.expectations:
        assert expectation["type"] in SQL_SAFE, expectation["type"]
        # GX's default is critical: say it, so a reader sees what blocks
        assert expectation.get("severity") in {"critical", "warning"}, expectation
        assert expectation.get("description"), expectation
        if expectation["type"] == "unexpected_rows_expectation":
            assert "{batch}" in expectation["kwargs"]["unexpected_rows_query"]
    assert suite.is_blocking, "every suite guards at least its keys or its volume"


def test_the_checks_are_in_the_definitions() -> None:
    from orchestration.defs.definitions import defs

    graph = defs().resolve_asset_graph()
    keys = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    for suite in load_suites():
        assert (suite.asset_key.to_user_string(), CHECK_NAME) in keys


def test_a_suite_named_after_no_table_is_refused(tmp_path: Path) -> None:
    (tmp_path / "raw.contacts.json").write_text(
        json.dumps({"name": "contacts", "expectations": []})
    )
    with pytest.raises(ValueError, match="file name"):
        load_suites(tmp_path)


def test_row_count_bounds_allow_growth_and_a_tolerated_drop() -> None:
    assert row_count_bounds(None, 0.2) == (0, None)
    assert row_count_bounds(1000, 0.2) == (800, None)
    assert row_count_bounds(1001, 0.2) == (801, None)


def test_the_as_of_day_comes_from_the_dbt_op_config() -> None:
    from orchestration.defs.schedules import run_config_as_of

    assert run_as_of(run_config_as_of("2025-03-31")) == date(2025, 3, 31)
    before = datetime.now(UTC).date()
    default = run_as_of({})
    assert default in {before, datetime.now(UTC).date()}  # today, even across midnight


def test_failing_rows_sql_shows_what_each_kind_of_expectation_found() -> None:
    params = {"as_of_end": datetime(2026, 7, 1)}
    between = {
        "type": "expect_column_values_to_be_between",
        "kwargs": {
            "column": "occurred_at",
            "min_value": "2000-01-01T00:00:00",
            "max_value": {"$PARAMETER": "as_of_end"},
            "strict_max": True,
        },
    }
    assert failing_rows_sql(between, "raw.events", params) == (
        "select * from raw.events where occurred_at < timestamp '2000-01-01 00:00:00'"
        " or occurred_at >= timestamp '2026-07-01 00:00:00'"
    )
    in_set = {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "stage", "value_set": ["lead", "o'brien"]},
    }
    assert "where stage not in ('lead', 'o''brien')" in failing_rows_sql(in_set, "t", params)
    query = {
        "type": "unexpected_rows_expectation",
        "kwargs": {"unexpected_rows_query": "select x from {batch} where x ~ '[a-z]{{2,}}'"},
    }
    assert failing_rows_sql(query, "s.t", params) == "select x from s.t where x ~ '[a-z]{2,}'"


def test_a_failed_run_names_each_check_and_how_to_see_its_rows() -> None:
    from dagster import AssetCheckEvaluation, AssetCheckSeverity, AssetKey

    class Event:
        event_type_value = "ASSET_CHECK_EVALUATION"

        def __init__(self, evaluation):
            self.event_specific_data = evaluation

    gx = AssetCheckEvaluation(
        asset_key=AssetKey(["marts", "dim_contacts"]),
        check_name=CHECK_NAME,
        passed=False,
        severity=AssetCheckSeverity.ERROR,
        description="1 blocking ... See the failing rows ...: select 1",
    )
    dbt = AssetCheckEvaluation(
        asset_key=AssetKey(["marts", "dim_contacts"]),
        check_name="primary_key_dim_contacts_contact_id",
        passed=False,
        severity=AssetCheckSeverity.WARN,
        metadata={"dagster_dbt/failed_row_count": 3},
    )
    passed = AssetCheckEvaluation(
        asset_key=AssetKey(["raw", "contacts"]), check_name="rows_reconcile", passed=True
    )
    lines = failed_check_lines([Event(gx), Event(dbt), Event(passed)], date(2026, 6, 30))
    assert len(lines) == 2
    assert lines[0].startswith("  check marts/dim_contacts:gx_expectations (blocking)")
    assert "select 1" in lines[0]
    assert "(warning, dbt test): 3 failing rows" in lines[1]
    assert "dbt show --profiles-dir . --select primary_key_dim_contacts_contact_id" in lines[1]
    assert "FUNNEL_AS_OF=2026-06-30 .venv/bin/dbt show" in lines[1]
