"""The report's rates are the semantic layer's: each rate divides the columns its MetricFlow
metric names in the semantic manifest dbt writes (target/semantic_manifest.json), so a metric
changed in YAML changes the report, and BI and the report read one definition.

The report's numbers are computed on a small database built here with the public tables'
contracts (the dbt manifest's columns and types), a few rows in `rpt_stage_conversion`.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.report.data import load_report_data
from orchestration.report.metrics import RateDefinition, rate_definitions

REPORT = "model.b2b_funnel.rpt_stage_conversion"
# a rate column's description starts with its formula: `numerator / denominator (...)`
FORMULA = re.compile(r"^(\w+) / (\w+)\b")
TABLES = ["rpt_stage_conversion", "dim_contacts", "fct_funnel_daily", "rpt_stage_durations"]
SEGMENT = ("icp_fit_grade", "industry", "employee_band", "country")
AS_OF = date(2026, 6, 30)
# two cohort rows of one month: (lead source, prospects, leads, mqls, leads with the window
# elapsed, of them MQL within the window)
ROWS = [("webinar", 300, 100, 40, 80, 30), ("referral", 100, 50, 35, 50, 20)]


@pytest.fixture(scope="module")
def manifest(project_manifest: Path) -> dict:
    return json.loads(project_manifest.read_text())


@pytest.fixture(scope="module")
def semantic_manifest(project_manifest: Path) -> Path:
    return project_manifest.parent / "semantic_manifest.json"


def test_each_rate_of_the_report_table_divides_its_metrics_columns(
    manifest: dict, semantic_manifest: Path
) -> None:
    definitions = rate_definitions(semantic_manifest)
    columns = manifest["nodes"][REPORT]["columns"]
    rates = {name: column for name, column in columns.items() if name.endswith("_rate")}
    assert len(rates) == 11
    for name, column in rates.items():
        formula = FORMULA.match(column["description"])
        assert formula, f"{name}: its description states no formula"
        assert (definitions[name].numerator, definitions[name].denominator) == formula.groups()
    assert definitions["lead_to_mql_rate"] == RateDefinition(
        "lead_to_mql_rate",
        "mqls",
        "leads",
        "Lead to MQL rate",
        definitions["lead_to_mql_rate"].description,
    )
    assert "mqls / leads" in definitions["lead_to_mql_rate"].description
    assert (
        definitions["mql_to_sql_in_window_rate"].numerator,
        definitions["mql_to_sql_in_window_rate"].denominator,
    ) == ("mql_to_sql_in_window", "mqls_window_elapsed")
    assert (
        definitions["prospect_to_lead_rate"].numerator,
        definitions["prospect_to_lead_rate"].denominator,
    ) == ("prospects_converted_to_lead", "prospects")


def _public_tables(path: Path, manifest: dict) -> Path:
    """A database holding the report's public tables as their contracts define them, with
    two cohort rows."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        for table in TABLES:
            columns = manifest["nodes"][f"model.b2b_funnel.{table}"]["columns"]
            typed = ", ".join(f"{name} {c['data_type']}" for name, c in columns.items())
            connection.execute(f"create table marts.{table} ({typed})")
        segment = ", ".join(f"'A' as {column}" for column in SEGMENT)
        for source, prospects, leads, mqls, elapsed, in_window in ROWS:
            connection.execute(
                f"""
                insert into marts.rpt_stage_conversion by name
                select date '2026-03-01' as cohort_month, {segment},
                    ? as lead_source, ? as as_of_date, 90 as conversion_window_days,
                    ? as prospects, ? as prospects_converted_to_lead, ? as leads, ? as mqls,
                    ? as sqls, ? as opportunities, ? as customers, ? as leads_window_elapsed,
                    ? as lead_to_mql_in_window
                """,
                [
                    source,
                    AS_OF,
                    prospects,
                    leads // 2,
                    leads,
                    mqls,
                    mqls // 2,
                    mqls // 4,
                    mqls // 5,
                    elapsed,
                    in_window,
                ],
            )
    return path


def _report_data(database: Path, semantic_manifest: Path):
    with duckdb.connect(str(database), read_only=True) as connection:
        return load_report_data(connection, semantic_manifest)


def _changed(semantic_manifest: Path, folder: Path, change) -> Path:
    """A copy of the semantic manifest with `change` applied to its metrics (by name)."""
    content = json.loads(semantic_manifest.read_text())
    change({metric["name"]: metric for metric in content["metrics"]})
    copy = folder / "semantic_manifest.json"
    copy.write_text(json.dumps(content))
    return copy


def test_a_metric_changed_in_the_semantic_layer_changes_the_reports_rate(
    tmp_path: Path, manifest: dict, semantic_manifest: Path
) -> None:
    database = _public_tables(tmp_path / "serving.duckdb", manifest)
    leads = sum(row[2] for row in ROWS)
    mqls = sum(row[3] for row in ROWS)
    prospects = sum(row[1] for row in ROWS)

    data = _report_data(database, semantic_manifest)
    assert data.funnel_conversions["lead_to_mql"] == [mqls, leads]
    assert data.funnel_rates["lead_to_mql"] == pytest.approx(mqls / leads)
    assert data.funnel["lead"] == leads
    assert data.cohorts[-1].window_rate("lead_to_mql").contacts == sum(row[4] for row in ROWS)

    def over_prospects(metrics: dict) -> None:
        metrics["lead_to_mql_rate"]["type_params"]["denominator"]["name"] = "prospects"

    changed = _report_data(database, _changed(semantic_manifest, tmp_path, over_prospects))
    assert changed.funnel_conversions["lead_to_mql"] == [mqls, prospects]
    assert changed.funnel_rates["lead_to_mql"] == pytest.approx(mqls / prospects)
    # the counts of each stage and the other rates stay as they were
    assert changed.funnel == data.funnel and changed.cohorts == data.cohorts
    assert changed.funnel_rates["mql_to_sql"] == data.funnel_rates["mql_to_sql"]
    assert changed.sources == data.sources


def test_a_semantic_manifest_without_a_rate_the_report_needs_says_which(
    tmp_path: Path, semantic_manifest: Path
) -> None:
    def without(metrics: dict) -> None:
        metrics["lead_to_mql_in_window_rate"]["name"] = "renamed_rate"

    with pytest.raises(ValueError, match=r"`lead_to_mql_in_window_rate`.*_marts__metrics\.yml"):
        rate_definitions(
            _changed(semantic_manifest, tmp_path, without), ["lead_to_mql_in_window_rate"]
        )


def test_a_rate_the_report_cannot_sum_is_refused(tmp_path: Path, semantic_manifest: Path) -> None:
    def filtered(metrics: dict) -> None:
        metrics["lead_to_mql_rate"]["type_params"]["numerator"]["filter"] = {
            "where_filters": [{"where_sql_template": "{{ Dimension('cohort__country') }} = 'FR'"}]
        }

    with pytest.raises(ValueError, match=r"`lead_to_mql_rate`.*filter"):
        rate_definitions(_changed(semantic_manifest, tmp_path, filtered), ["lead_to_mql_rate"])


def test_a_missing_semantic_manifest_says_how_to_write_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="dbt parse"):
        rate_definitions(tmp_path / "semantic_manifest.json")
