"""The great-expectations suites as Dagster asset checks: one `gx_expectations` check per suite,
blocking when the suite has a critical expectation, its result shown in the Dagster UI."""

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from orchestration.defs.resources import FunnelHomeResource
from orchestration.defs.schedules import run_as_of
from orchestration.loading.forgetting import last_forgotten_at
from orchestration.quality import gx_worker
from orchestration.quality.baselines import ACCEPT_ROW_COUNTS_ENV, previous_baselines
from orchestration.quality.gx_runner import render_data_docs, validate_suites
from orchestration.quality.outcomes import SuiteOutcome
from orchestration.quality.suites import (
    BLOCKING_SEVERITY,
    CHECK_NAME,
    EXPECTATIONS_DIR,
    ROW_COUNT_EXPECTATION,
    Suite,
    load_suites,
)


def _cell(value: Any, width: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def check_result(outcome: SuiteOutcome, docs_index: Path) -> AssetCheckResult:
    """The Dagster view of a suite's outcome: what failed, how many rows, where to look."""
    suite = outcome.suite
    blocking, warnings = outcome.blocking_failed, outcome.warnings_failed
    lines = [
        "| severity | expectation | unexpected | sample | failing rows |",
        "|---|---|---|---|---|",
    ]
    for failed in blocking + warnings:
        lines.append(
            f"| {'blocking' if failed.severity == BLOCKING_SEVERITY else failed.severity}"
            f" | {_cell(failed.label)}"
            f" | {failed.unexpected_count if failed.unexpected_count is not None else '-'}"
            f" | {_cell(failed.error or failed.sample or failed.observed_value)}"
            f" | `{_cell(failed.failing_rows_sql, 400)}` |"
        )
    description = None
    if blocking or warnings:
        first = (blocking or warnings)[0]
        count = f"{first.unexpected_count:,} rows" if first.unexpected_count is not None else ""
        if first.expectation_type == ROW_COUNT_EXPECTATION:
            count = (
                f"{outcome.row_count} rows against {outcome.baseline_row_count} accepted before;"
                f" if the drop is intended, run once with {ACCEPT_ROW_COUNTS_ENV}=1"
            )
        description = (
            f"{len(blocking)} blocking and {len(warnings)} warning expectations failed on"
            f" {suite.table} (suite expectations/{suite.path.name}). First: {first.label}"
            f"{f' ({count})' if count else ''}{f' - error: {first.error}' if first.error else ''}."
            f" See the failing rows on the working warehouse: {first.failing_rows_sql}"
            f" ; every failure is in the Data Docs: {docs_index}"
        )
    metadata: dict[str, Any] = {
        "table": MetadataValue.text(suite.table),
        "suite": MetadataValue.path(str(suite.path)),
        "as_of": MetadataValue.text(outcome.parameters["as_of_date"].date().isoformat()),
        "expectations_evaluated": len(outcome.outcomes),
        "expectations_failed": len(outcome.failed),
        "blocking_failed": len(blocking),
        "warnings_failed": len(warnings),
        "unexpected_rows": sum(o.unexpected_count or 0 for o in outcome.failed),
        "failures": MetadataValue.md("\n".join(lines) if len(lines) > 2 else "none"),
        "data_docs": MetadataValue.path(str(docs_index)),
        "duration_s": round(outcome.duration_s, 3),
    }
    if outcome.row_count is not None:
        metadata["row_count"] = outcome.row_count
        metadata["row_count_baseline"] = (
            outcome.baseline_row_count if outcome.baseline_row_count is not None else "none"
        )
    if outcome.accepted_row_count is not None:
        metadata["accepted_row_count"] = outcome.accepted_row_count
    return AssetCheckResult(
        asset_key=suite.asset_key,
        check_name=CHECK_NAME,
        passed=not (blocking or warnings),
        severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
        description=description,
        metadata=metadata,
    )


def build_quality_checks(
    suites: Sequence[Suite], known_assets: Iterable[AssetKey], name: str
) -> AssetChecksDefinition:
    """One op that runs the given suites (those selected), each reported as its own check."""
    known = set(known_assets)
    unknown = [s.path.name for s in suites if s.asset_key not in known]
    if unknown:
        raise ValueError(
            f"expectation suites for tables that are no asset: {unknown}. A suite is named"
            " `<schema>.<table>.json` after the table it protects (see expectations/README.md)."
        )
    by_key = {AssetCheckKey(s.asset_key, CHECK_NAME): s for s in suites}

    @multi_asset_check(
        specs=[
            AssetCheckSpec(
                name=CHECK_NAME,
                asset=suite.asset_key,
                blocking=suite.is_blocking,
                description=suite.description,
            )
            for suite in suites
        ],
        name=name,
        can_subset=True,
        description="great-expectations suites from expectations/ (SQL pushdown on DuckDB).",
    )
    def _checks(context: AssetCheckExecutionContext, funnel_home: FunnelHomeResource):
        selected = [by_key[k] for k in sorted(context.selected_asset_check_keys, key=str)]
        paths = funnel_home.paths
        as_of = run_as_of(context.run.run_config)
        forgotten_at = last_forgotten_at(paths.warehouse)
        baselines = previous_baselines(context.instance, selected, as_of, forgotten_at)
        docs_dir = paths.reports / "data_docs"
        run_time = datetime.now(UTC)
        outcomes = gx_worker.call(
            validate_suites,
            warehouse=paths.warehouse,
            suites=selected,
            as_of=as_of,
            baselines=baselines,
            gx_root=paths.home,
            docs_dir=docs_dir,
            run_name=context.run.run_id,
            run_time=run_time,
            build_docs=False,
        )
        # rendered by the worker while the run goes on (about half a second)
        gx_worker.call_later(
            render_data_docs,
            gx_root=paths.home,
            docs_dir=docs_dir,
            suites=selected,
            run_name=context.run.run_id,
            run_time=run_time,
        )
        for outcome in outcomes:
            context.log.info(
                f"{outcome.suite.name}: {len(outcome.outcomes)} expectations,"
                f" {len(outcome.blocking_failed)} blocking and {len(outcome.warnings_failed)}"
                f" warning failed, in {outcome.duration_s:.2f}s"
            )
            yield check_result(outcome, docs_dir / "index.html")

    return _checks


def build_all_quality_checks(
    known_assets: Iterable[AssetKey], folder: Path = EXPECTATIONS_DIR
) -> list[AssetChecksDefinition]:
    """Raw suites in one op (it gates the dbt build), the models' suites in another."""
    suites = load_suites(folder)
    known = list(known_assets)
    raw = [s for s in suites if s.layer == "raw"]
    models = [s for s in suites if s.layer != "raw"]
    checks = []
    if raw:
        checks.append(build_quality_checks(raw, known, "raw_quality_checks"))
    if models:
        checks.append(build_quality_checks(models, known, "model_quality_checks"))
    return checks
