"""The report's rates as the semantic layer defines them (models/marts/_marts__metrics.yml).

Each rate the report shows is a ratio metric of MetricFlow on `rpt_stage_conversion`. Its
numerator and denominator are read here from the semantic manifest dbt writes at every parse
(`target/semantic_manifest.json`, the file `mf` reads), so the report divides the same columns
as every BI tool asking for the metric, and a metric changed in YAML changes the report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPORT_TABLE = "rpt_stage_conversion"
METRICS_FILE = "models/marts/_marts__metrics.yml"


@dataclass(frozen=True)
class RateDefinition:
    name: str  # the metric, named after the report column it equals: `lead_to_mql_rate`
    numerator: str  # the `rpt_stage_conversion` column summed above the line (a measure's expr)
    denominator: str  # the column summed below it
    label: str
    description: str


def semantic_manifest_path() -> Path:
    """The semantic manifest of the project's parse, refreshed before each run's assets are
    built (`prepare_manifest_if_needed`)."""
    from orchestration.dbt_project import dbt_project  # dagster-dbt loads only when asked

    return dbt_project.target_path / "semantic_manifest.json"


def rate_definitions(
    path: Path | None = None, names: Iterable[str] | None = None
) -> dict[str, RateDefinition]:
    """The ratio metrics called `names` (every ratio metric without), each with the columns of
    its numerator and denominator: ratio metric -> its two metrics -> their measures -> each
    measure's `expr` (its name when it has none)."""
    path = path or semantic_manifest_path()
    if not path.exists():
        raise FileNotFoundError(
            f"No semantic manifest at {path}: a parse of the dbt project writes it (`funnel run`"
            " does, or `.venv/bin/dbt parse --profiles-dir .` from the project's root)."
        )
    manifest = json.loads(path.read_text())
    metrics = {metric["name"]: metric for metric in manifest["metrics"]}
    measures = {
        measure["name"]: (model, measure)
        for model in manifest["semantic_models"]
        for measure in model["measures"]
    }

    def refuse(name: str, why: str) -> ValueError:
        return ValueError(
            f"The report cannot compute metric `{name}` of {path}: {why}. The report divides"
            f" sums of `{REPORT_TABLE}` columns; define it so in {METRICS_FILE}, then parse"
            " the project again (`funnel run` does)."
        )

    def column(rate: str, part: str) -> str:
        reference = metrics[rate]["type_params"][part]
        if any(reference.get(key) for key in ("filter", "offset_window", "offset_to_grain")):
            raise refuse(rate, f"its {part} has a filter or an offset")
        metric = metrics.get(reference["name"])
        measure = (metric or {}).get("type_params", {}).get("measure")
        if metric is None or metric["type"] != "simple" or not measure or metric["filter"]:
            raise refuse(rate, f"its {part} `{reference['name']}` is no simple metric of a measure")
        if measure.get("filter") or measure["name"] not in measures:
            raise refuse(rate, f"the measure `{measure['name']}` is not one the report can sum")
        model, found = measures[measure["name"]]
        if model["node_relation"]["alias"] != REPORT_TABLE or found["agg"] != "sum":
            raise refuse(rate, f"the measure `{found['name']}` is no sum of `{REPORT_TABLE}`")
        return found["expr"] or found["name"]

    ratios = [name for name, metric in metrics.items() if metric["type"] == "ratio"]
    wanted = ratios if names is None else list(names)
    for name in wanted:
        if name not in metrics:
            raise refuse(name, "the semantic layer has no such metric")
        if metrics[name]["type"] != "ratio":
            raise refuse(name, f"it is a {metrics[name]['type']} metric, not a ratio")
        if metrics[name].get("filter"):
            raise refuse(name, "it has a filter")
    return {
        name: RateDefinition(
            name,
            column(name, "numerator"),
            column(name, "denominator"),
            metrics[name]["label"] or name,
            (metrics[name]["description"] or "").strip(),
        )
        for name in wanted
    }
