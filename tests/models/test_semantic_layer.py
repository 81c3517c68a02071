"""The semantic layer (models/marts/_marts__semantic_models.yml, _marts__metrics.yml) as MetricFlow
reads it: valid, complete against the report it mirrors, on public tables, with a daily time spine.

It reads the semantic manifest the code location's parse writes beside target/manifest.json, the
file `mf` reads; tests/e2e/test_metrics.py queries the metrics with `mf` on a pipeline run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (
    SemanticManifestValidator,
)
from metricflow_semantics.model.dbt_manifest_parser import (
    parse_manifest_from_dbt_generated_manifest,
)

# metricflow imports sqlglotrs, which warns that it is deprecated
pytestmark = pytest.mark.filterwarnings("ignore:sqlglotrs is deprecated:DeprecationWarning")

REPORT = "model.b2b_funnel.rpt_stage_conversion"
# a rate's column description starts with its formula: `numerator / denominator (...)`
FORMULA = re.compile(r"^(\w+) / (\w+)\b")


@pytest.fixture(scope="module")
def manifest(project_manifest: Path) -> dict:
    return json.loads(project_manifest.read_text())


@pytest.fixture(scope="module")
def semantic_manifest(project_manifest: Path) -> dict:
    return json.loads((project_manifest.parent / "semantic_manifest.json").read_text())


def _metrics(semantic_manifest: dict) -> dict[str, dict]:
    return {metric["name"]: metric for metric in semantic_manifest["metrics"]}


def _measures(semantic_manifest: dict) -> dict[str, tuple[dict, dict]]:
    """Each measure by name, with its semantic model."""
    return {
        measure["name"]: (model, measure)
        for model in semantic_manifest["semantic_models"]
        for measure in model["measures"]
    }


def test_metricflow_finds_no_issue_in_the_semantic_layer(project_manifest: Path) -> None:
    """What `mf validate-configs --skip-dw` checks, warnings included."""
    text = (project_manifest.parent / "semantic_manifest.json").read_text()
    results = SemanticManifestValidator().validate_semantic_manifest(
        parse_manifest_from_dbt_generated_manifest(manifest_json_string=text)
    )
    assert not results.all_issues, [issue.as_readable_str() for issue in results.all_issues]


def test_every_count_of_the_report_is_a_metric_summing_it(
    manifest: dict, semantic_manifest: dict
) -> None:
    """A count added to rpt_stage_conversion without its metric is seen here."""
    metrics, measures = _metrics(semantic_manifest), _measures(semantic_manifest)
    counts = [
        name
        for name, column in manifest["nodes"][REPORT]["columns"].items()
        if column["data_type"] == "bigint"
    ]
    assert "leads" in counts
    problems = []
    for name in counts:
        metric = metrics.get(name)
        if metric is None or metric["type"] != "simple":
            problems.append(f"{name}: no simple metric of that name")
            continue
        model, measure = measures[metric["type_params"]["measure"]["name"]]
        if (
            model["node_relation"]["alias"] != "rpt_stage_conversion"
            or (measure.get("expr") or measure["name"]) != name
            or measure["agg"] != "sum"
        ):
            problems.append(f"{name}: its measure is not sum({name}) of rpt_stage_conversion")
    assert not problems, problems


def test_every_rate_of_the_report_is_a_ratio_of_its_documented_counts(
    manifest: dict, semantic_manifest: dict
) -> None:
    """Each `*_rate` column is a ratio metric of the same name whose numerator and denominator
    are those its column description gives (`mqls / leads`): summed, then divided, over any
    grouping, as the report says rows add up."""
    metrics = _metrics(semantic_manifest)
    columns = manifest["nodes"][REPORT]["columns"]
    rates = {name: column for name, column in columns.items() if name.endswith("_rate")}
    assert len(rates) == 11
    problems = []
    for name, column in rates.items():
        formula = FORMULA.match(column["description"])
        assert formula, f"{name}: its description does not start with `numerator / denominator`"
        metric = metrics.get(name)
        if metric is None or metric["type"] != "ratio":
            problems.append(f"{name}: no ratio metric of that name")
            continue
        found = (
            metric["type_params"]["numerator"]["name"],
            metric["type_params"]["denominator"]["name"],
        )
        if found != formula.groups():
            problems.append(f"{name}: {found[0]} / {found[1]}, not {column['description']}")
    assert not problems, problems


def test_semantic_models_read_published_tables_only(manifest: dict) -> None:
    """BI queries the metrics on serving.duckdb, which holds the public tables alone."""
    readers = {
        model["name"]: model["depends_on"]["nodes"]
        for model in manifest["semantic_models"].values()
    }
    assert readers
    private = {
        name: parents
        for name, parents in readers.items()
        if any(manifest["nodes"][parent]["access"] != "public" for parent in parents)
    }
    assert not private, private


def test_the_time_spine_is_one_day_per_row_and_not_public(
    manifest: dict, semantic_manifest: dict
) -> None:
    """MetricFlow's time spine: a model with `time_spine:` whose standard column is daily. It is
    not public: none of the metrics reads it, so it is neither published nor compared on Spark."""
    spines = semantic_manifest["project_configuration"]["time_spines"]
    assert [(s["node_relation"]["alias"], s["primary_column"]) for s in spines] == [
        ("int_time_spine_daily", {"name": "date_day", "time_granularity": "day"})
    ]
    spine = manifest["nodes"]["model.b2b_funnel.int_time_spine_daily"]
    assert spine["access"] == "protected"
    cumulative_or_offset = [
        metric["name"]
        for metric in semantic_manifest["metrics"]
        if metric["type"] == "cumulative"
        or any(
            m.get("offset_window") or m.get("offset_to_grain")
            for m in metric["type_params"].get("metrics") or []
        )
        or (metric["type_params"].get("measure") or {}).get("join_to_timespine")
    ]
    assert not cumulative_or_offset, (
        f"{cumulative_or_offset} read the time spine, which serving.duckdb does not hold:"
        " make it public (published) first"
    )
