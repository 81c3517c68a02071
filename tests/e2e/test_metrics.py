"""End to end: the semantic layer's metrics, queried with `mf` as docs/metrics.md tells analysts
(target `serving`: the published copy, read-only), equal the reports they are defined from.

Reads the suite's pipeline run (the `run` fixture), never the working warehouse.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from pipeline_run import Run

from orchestration.settings import PROJECT_DIR

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore:sqlglotrs is deprecated:DeprecationWarning"),
]

MF = str(Path(sys.executable).parent / "mf")
SEGMENTS = ["icp_fit_grade", "industry", "employee_band", "country", "lead_source"]
COUNTS = [
    "prospects",
    "prospects_converted_to_lead",
    "leads",
    "mqls",
    "sqls",
    "opportunities",
    "customers",
]
STEPS = ["prospect_to_lead", "lead_to_mql", "mql_to_sql", "sql_to_opportunity"]
STEPS += ["opportunity_to_customer"]
ELAPSED = ["prospects", "leads", "mqls", "sqls", "opportunities"]
# each rate and its numerator and denominator columns, as rpt_stage_conversion computes it
RATES = {
    "prospect_to_lead_rate": ("prospects_converted_to_lead", "prospects"),
    "lead_to_mql_rate": ("mqls", "leads"),
    "mql_to_sql_rate": ("sqls", "mqls"),
    "sql_to_opportunity_rate": ("opportunities", "sqls"),
    "opportunity_to_customer_rate": ("customers", "opportunities"),
    "lead_to_customer_rate": ("customers", "leads"),
} | {
    f"{step}_in_window_rate": (f"{step}_in_window", f"{elapsed}_window_elapsed")
    for step, elapsed in zip(STEPS, ELAPSED, strict=True)
}
WINDOW_COUNTS = [c for pair in RATES.values() for c in pair if "window" in c]
METRICS = list(dict.fromkeys([*COUNTS, *WINDOW_COUNTS, *RATES]))


@pytest.fixture(scope="module")
def serving(run: Run, project_manifest: Path) -> Path:
    """The run's published copy; target/semantic_manifest.json (what `mf` reads) up to date."""
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    return run.home / "serving.duckdb"


def mf(home: Path, logs: Path, *args: str) -> subprocess.CompletedProcess:
    """`mf` as docs/metrics.md runs it: from the project, DBT_TARGET=serving."""
    env = {
        **os.environ,
        "FUNNEL_HOME": str(home),
        "DBT_TARGET": "serving",
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_LOG_PATH": str(logs),
    }
    return subprocess.run(
        [MF, *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300
    )


def mf_rows(home: Path, tmp_path: Path, metrics: list[str], group_by: list[str]) -> list[dict]:
    """The rows of `mf query`, written as CSV: numbers as floats, empty cells as None."""
    out = tmp_path / "query.csv"
    args = ["query", "--quiet", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by)]
    result = mf(home, tmp_path / "logs", *args, "--csv", str(out))
    assert result.returncode == 0 and out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    with out.open() as file:
        return [
            {
                key: None if value == "" else float(value) if key in metrics else value
                for key, value in row.items()
            }
            for row in csv.DictReader(file)
        ]


def report_rows(serving: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(serving), read_only=True) as connection:
        cursor = connection.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def assert_equal_rows(found: dict, expected: dict, metrics: list[str]) -> None:
    assert found.keys() == expected.keys(), (
        f"only mf: {sorted(found.keys() - expected.keys())[:5]},"
        f" only the report: {sorted(expected.keys() - found.keys())[:5]}"
    )
    wrong = []
    for key, row in expected.items():
        for metric in metrics:
            a, b = found[key][metric], row[metric]
            same = a == b if a is None or b is None else math.isclose(a, b)
            if not same:
                wrong.append((key, metric, a, b))
    assert not wrong, wrong[:10]


def test_mf_validate_configs_passes_on_the_published_copy(serving: Path, tmp_path: Path) -> None:
    """Semantics, then each semantic model, dimension, measure and metric queried on
    serving.duckdb."""
    result = mf(serving.parent, tmp_path / "logs", "validate-configs", "--show-all")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "ERRORS: 0, FUTURE_ERRORS: 0, WARNINGS: 0" in result.stdout


def test_metrics_by_cohort_and_segment_equal_rpt_stage_conversion(
    serving: Path, tmp_path: Path
) -> None:
    """At the report's grain every count, window count and rate is the report's own."""
    group_by = ["metric_time__month", *(f"cohort__{s}" for s in SEGMENTS)]
    found = {
        (row["metric_time__month"][:10], *(row[f"cohort__{s}"] for s in SEGMENTS)): row
        for row in mf_rows(serving.parent, tmp_path, METRICS, group_by)
    }
    expected = {
        (str(row["cohort_month"]), *(row[s] for s in SEGMENTS)): row
        for row in report_rows(serving, "select * from marts.rpt_stage_conversion")
    }
    assert len(expected) > 50
    assert_equal_rows(found, expected, METRICS)


def test_rates_by_quarter_and_lead_source_are_summed_counts_divided(
    serving: Path, tmp_path: Path
) -> None:
    """Coarser than the report: sum(numerator) / sum(denominator) of its rows, never an average
    of rates (docs/serving.md, *Adding rows up*)."""
    rates = ", ".join(
        f"cast(sum({n}) as double) / nullif(sum({d}), 0) as {rate}"
        for rate, (n, d) in RATES.items()
    )
    expected = {
        (str(row["quarter"]), row["lead_source"]): row
        for row in report_rows(
            serving,
            f"""
            select
                cast(date_trunc('quarter', cohort_month) as date) as quarter, lead_source, {rates}
            from marts.rpt_stage_conversion
            group by all
            """,
        )
    }
    found = {
        (row["metric_time__quarter"][:10], row["cohort__lead_source"]): row
        for row in mf_rows(
            serving.parent, tmp_path, list(RATES), ["metric_time__quarter", "cohort__lead_source"]
        )
    }
    assert_equal_rows(found, expected, list(RATES))


def test_days_between_stages_equal_rpt_stage_durations(serving: Path, tmp_path: Path) -> None:
    metrics = ["contacts_taking_step", "median_days_between_stages", "p75_days_between_stages"]
    found = {
        (row["funnel_step__from_stage"], row["funnel_step__to_stage"]): row
        for row in mf_rows(
            serving.parent, tmp_path, metrics, ["funnel_step__from_stage", "funnel_step__to_stage"]
        )
    }
    expected = {
        (row["from_stage"], row["to_stage"]): row
        for row in report_rows(
            serving,
            """
            select from_stage, to_stage, contacts as contacts_taking_step,
                median_days as median_days_between_stages, p75_days as p75_days_between_stages
            from marts.rpt_stage_durations
            """,
        )
    }
    assert len(expected) == 5
    assert_equal_rows(found, expected, metrics)
