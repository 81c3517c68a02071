"""Data quality of the B2B base: great-expectations suites as blocking Dagster asset checks.

Each JSON suite under `expectations/` protects one table (`<schema>.<table>.json`, the suite's
name) and becomes one asset check, `gx_expectations`, on that table's asset (`raw/contacts`,
`staging/stg_landing__contacts`, `marts/dim_contacts`). An expectation's `severity` decides what
its failure does: `critical` fails the check with ERROR severity, which blocks everything
downstream (the models, publication); `warning` fails it with WARN severity and blocks nothing.

Why it is built this way:
- GX validates with SQL pushdown on the DuckDB file (aggregates, never a table pulled into
  pandas), so the checks scale with the warehouse. duckdb-engine needs GX to keep its connection
  (see STACK.md): `_persist_duckdb_connections` registers the dialect.
- Each check opens the warehouse read-only and closes every connection before it returns, so no
  lock outlives it while dbt or a load writes.
- Results are stored in a GX project under `FUNNEL_HOME/gx` and rendered as Data Docs into
  `FUNNEL_HOME/reports/data_docs/` at every run.
- "Row count within a tolerance of the previous run" needs the previous run: the check records
  the row count it accepted in its metadata, and the next evaluation reads it back from the
  Dagster instance.
"""

import enum
import json
import math
import os
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    DagsterInstance,
    MetadataValue,
    multi_asset_check,
)
from dagster._core.storage.asset_check_execution_record import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
)

from orchestration.resources import FunnelHomeResource
from orchestration.settings import PROJECT_DIR
from orchestration.vocabulary import (
    earliest_plausible_date,
    funnel_states,
    icp_grades,
    plausible_bounds,
)

EXPECTATIONS_DIR = PROJECT_DIR / "expectations"
CHECK_NAME = "gx_expectations"
DATASOURCE = "warehouse"
DOCS_SITE = "funnel"
SAMPLE_SIZE = 5
# Set to 1 for one run to accept the current row counts as the new baseline (an intended drop).
ACCEPT_ROW_COUNTS_ENV = "FUNNEL_QUALITY_ACCEPT_ROW_COUNTS"
# Validation results (and their Data Docs pages) kept per suite.
KEEP_RESULTS_PER_SUITE = 30

ROW_COUNT_EXPECTATION = "expect_table_row_count_to_be_between"
UNEXPECTED_ROWS_EXPECTATION = "unexpected_rows_expectation"
BLOCKING_SEVERITY = "critical"


# --- suites -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suite:
    """One suite file: the expectations that protect one table."""

    path: Path
    definition: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.definition["name"]

    @property
    def table(self) -> str:
        """`schema.table` in the working warehouse."""
        return self.definition.get("meta", {}).get("table", self.name)

    @property
    def asset_key(self) -> AssetKey:
        """Schema and table are the asset key: `marts.dim_contacts` is `marts/dim_contacts`."""
        return AssetKey(self.table.split("."))

    @property
    def layer(self) -> str:
        return self.table.split(".")[0]

    @property
    def expectations(self) -> list[dict]:
        return list(self.definition["expectations"])

    @property
    def is_blocking(self) -> bool:
        return any(severity_of(e) == BLOCKING_SEVERITY for e in self.expectations)

    @property
    def description(self) -> str:
        text = self.definition.get("meta", {}).get("description", "")
        counts = [severity_of(e) for e in self.expectations]
        return (
            f"great-expectations suite `expectations/{self.path.name}`: {text} "
            f"{counts.count('critical')} blocking and {counts.count('warning')} warning"
            " expectations."
        ).strip()


def severity_of(expectation: Mapping[str, Any]) -> str:
    """GX's own default is critical: an expectation is blocking unless it says otherwise."""
    return str(expectation.get("severity", BLOCKING_SEVERITY)).lower()


def load_suites(folder: Path = EXPECTATIONS_DIR) -> list[Suite]:
    """Every suite under `folder`, sorted by name; a suite that does not parse fails loudly."""
    suites = []
    for path in sorted(folder.glob("*.json")):
        try:
            definition = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON: {error}") from error
        if "name" not in definition or "expectations" not in definition:
            raise ValueError(f"{path} is not a suite: it needs `name` and `expectations`")
        if definition["name"] != path.stem:
            raise ValueError(f"{path}: the suite's name must be its file name, {path.stem!r}")
        suites.append(Suite(path=path, definition=definition))
    return suites


# --- run parameters -----------------------------------------------------------------------------


def run_as_of(run_config: Mapping[str, Any] | None) -> date:
    """The run's as-of day, from the dbt op's config (`run_config_as_of`), else today (UTC)."""
    from orchestration.schedules import DBT_OP_NAME

    ops = (run_config or {}).get("ops", {})
    value = ops.get(DBT_OP_NAME, {}).get("config", {}).get("as_of")
    return date.fromisoformat(value) if value else datetime.now(UTC).date()


def row_count_bounds(baseline: int | None, max_drop_share: float) -> tuple[int, int | None]:
    """At least (1 - max_drop_share) of the baseline rows; growth is never a failure."""
    if baseline is None:
        return 0, None
    return math.ceil(baseline * (1 - max_drop_share)), None


def expectation_parameters(as_of: date, expectations: Iterable[Mapping], baseline: int | None):
    """The `$PARAMETER` values of one suite's run."""
    drop = next(
        (
            float(e.get("meta", {}).get("max_drop_share", 0.2))
            for e in expectations
            if e["type"] == ROW_COUNT_EXPECTATION
        ),
        0.2,
    )
    min_rows, max_rows = row_count_bounds(baseline, drop)
    return {
        "as_of_date": datetime.combine(as_of, datetime.min.time()),
        # the first instant after the as-of day: everything up to the end of the day is in
        "as_of_end": datetime.combine(as_of + timedelta(days=1), datetime.min.time()),
        "min_row_count": min_rows,
        "max_row_count": max_rows,
        # the states of the `funnel_states` seed, for the suites that check a state column
        "funnel_states": [state.state for state in funnel_states()],
        "funnel_stages": [state.state for state in funnel_states() if state.kind == "stage"],
        # the grades of the `icp_grade_bands` seed
        "icp_grades": list(icp_grades()),
        # the plausibility vars of dbt_project.yml: the date floor, and `<measure>_min` /
        # `plausible_<measure>_max` for each `plausible_<measure>`
        "earliest_plausible_at": datetime.combine(earliest_plausible_date(), datetime.min.time()),
        **{
            f"plausible_{measure}_{end}": value
            for measure, bounds in plausible_bounds().items()
            for end, value in bounds._asdict().items()
        },
    }


def _resolve(value: Any, parameters: Mapping[str, Any]) -> Any:
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters.get(value["$PARAMETER"])
    return value


# --- failing rows -------------------------------------------------------------------------------


def _literal(value: Any) -> str:
    if isinstance(value, datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, str):
        escaped = value.replace("'", "''")
        return f"'{escaped}'"
    return str(value)


def failing_rows_sql(expectation: Mapping[str, Any], table: str, parameters: Mapping) -> str:
    """A query an operator can run on the working warehouse to see what an expectation found."""
    kwargs = {k: _resolve(v, parameters) for k, v in expectation["kwargs"].items()}
    column = kwargs.get("column")
    kind = expectation["type"]
    if kind == UNEXPECTED_ROWS_EXPECTATION:
        query = kwargs["unexpected_rows_query"].replace("{batch}", table)
        return query.replace("{{", "{").replace("}}", "}")
    if kind == "expect_column_values_to_not_be_null":
        return f"select * from {table} where {column} is null"
    if kind == "expect_column_values_to_be_unique":
        return (
            f"select {column}, count(*) as row_count from {table} where {column} is not null"
            f" group by {column} having count(*) > 1 order by row_count desc"
        )
    if kind == "expect_compound_columns_to_be_unique":
        columns = ", ".join(kwargs["column_list"])
        return (
            f"select {columns}, count(*) as row_count from {table}"
            f" group by {columns} having count(*) > 1 order by row_count desc"
        )
    if kind == "expect_column_values_to_be_in_set":
        values = ", ".join(_literal(v) for v in kwargs["value_set"])
        return (
            f"select {column}, count(*) as row_count from {table}"
            f" where {column} not in ({values}) group by {column} order by row_count desc"
        )
    if kind == "expect_column_values_to_be_between":
        bounds = []
        if kwargs.get("min_value") is not None:
            below = "<=" if kwargs.get("strict_min") else "<"
            bounds.append(f"{column} {below} {_literal(_parse_bound(kwargs['min_value']))}")
        if kwargs.get("max_value") is not None:
            above = ">=" if kwargs.get("strict_max") else ">"
            bounds.append(f"{column} {above} {_literal(_parse_bound(kwargs['max_value']))}")
        return f"select * from {table} where {' or '.join(bounds) or 'false'}"
    if kind == ROW_COUNT_EXPECTATION:
        return f"select count(*) as row_count from {table}"
    return f"select * from {table}"


def _parse_bound(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


# --- validation with great-expectations ---------------------------------------------------------


class _DuckDBDialect(enum.StrEnum):
    DUCKDB = "duckdb"


def _persist_duckdb_connections() -> None:
    """GX reads after duckdb-engine's connection went back to the pool unless it persists it."""
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    if _DuckDBDialect.DUCKDB not in engine._PERSISTED_CONNECTION_DIALECTS:
        engine._PERSISTED_CONNECTION_DIALECTS = (
            *engine._PERSISTED_CONNECTION_DIALECTS,
            _DuckDBDialect.DUCKDB,
        )


@dataclass
class ExpectationOutcome:
    """One expectation's result, as an operator needs it."""

    expectation_type: str
    description: str
    severity: str
    success: bool
    column: str | None = None
    unexpected_count: int | None = None
    element_count: int | None = None
    observed_value: Any = None
    sample: list = field(default_factory=list)
    failing_rows_sql: str = ""
    error: str | None = None

    @property
    def label(self) -> str:
        return self.description or self.expectation_type


@dataclass
class SuiteOutcome:
    """One suite's result on its table."""

    suite: Suite
    outcomes: list[ExpectationOutcome]
    parameters: dict
    baseline_row_count: int | None = None
    duration_s: float = 0.0

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def blocking_failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.failed if o.severity == BLOCKING_SEVERITY]

    @property
    def warnings_failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.failed if o.severity != BLOCKING_SEVERITY]

    @property
    def row_count(self) -> int | None:
        for outcome in self.outcomes:
            if outcome.expectation_type == ROW_COUNT_EXPECTATION and outcome.error is None:
                return int(outcome.observed_value)
        return None

    @property
    def accepted_row_count(self) -> int | None:
        """The baseline the next run compares with: this count if it passed, else the old one."""
        for outcome in self.outcomes:
            if outcome.expectation_type == ROW_COUNT_EXPECTATION:
                return self.row_count if outcome.success else self.baseline_row_count
        return None


def _outcome(result: Any, expectation: Mapping, table: str, parameters: Mapping):
    info = result.exception_info or {}
    errors = [
        value.get("exception_message")
        for value in (info.values() if "raised_exception" not in info else [info])
        if isinstance(value, dict) and value.get("raised_exception")
    ]
    details = result.result or {}
    unexpected = details.get("unexpected_count")
    observed = details.get("observed_value")
    if expectation["type"] == UNEXPECTED_ROWS_EXPECTATION and observed is not None:
        unexpected = int(observed)
    return ExpectationOutcome(
        expectation_type=expectation["type"],
        description=expectation.get("description", ""),
        severity=severity_of(expectation),
        success=bool(result.success) and not errors,
        column=expectation["kwargs"].get("column"),
        unexpected_count=None if unexpected is None else int(unexpected),
        element_count=details.get("element_count"),
        observed_value=observed,
        sample=[_plain(v) for v in details.get("partial_unexpected_list") or []][:SAMPLE_SIZE],
        failing_rows_sql=failing_rows_sql(expectation, table, parameters),
        error="; ".join(str(e) for e in errors) or None,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _close_gx(context: Any) -> None:
    """Close every connection GX opened, so the warehouse is free for the next writer."""
    for datasource in context.data_sources.all().values():
        engine = getattr(datasource, "_execution_engine", None)
        if engine is not None:
            connection = getattr(engine, "_connection", None)
            if connection is not None:
                connection.close()
                engine._connection = None
            engine.engine.dispose()
        own_engine = getattr(datasource, "_engine", None)
        if own_engine is not None:
            own_engine.dispose()


def _gx_context(gx_root: Path, docs_dir: Path) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(gx_root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    sites = context.get_config().data_docs_sites or {}
    for name in list(sites):
        if name != DOCS_SITE or sites[name]["store_backend"]["base_directory"] != str(docs_dir):
            context.delete_data_docs_site(name)
    if DOCS_SITE not in (context.get_config().data_docs_sites or {}):
        context.add_data_docs_site(site_name=DOCS_SITE, site_config=site)
    return context


def _datasource(context: Any, warehouse: Path) -> Any:
    """The warehouse as a GX SQL datasource, read-only; kept in the GX project between runs.

    Every change to a datasource rewrites the project's YAML, which costs more than the queries
    on a small base: the datasource and its table assets are only added when missing.
    """
    connection_string = f"duckdb:///{warehouse}"
    existing = context.data_sources.all().get(DATASOURCE)
    if existing is not None and str(existing.connection_string) == connection_string:
        return existing
    if existing is not None:
        context.data_sources.delete(DATASOURCE)
    return context.data_sources.add_sql(
        name=DATASOURCE,
        connection_string=connection_string,
        kwargs={"connect_args": {"read_only": True}},
    )


def _whole_table(datasource: Any, suite: Suite) -> Any:
    """The batch definition of a suite's whole table."""
    try:
        asset = datasource.get_asset(suite.name)
    except LookupError:
        asset = None
    if asset is not None and asset.table_name != suite.table:
        datasource.delete_asset(suite.name)
        asset = None
    if asset is None:
        asset = datasource.add_table_asset(name=suite.name, table_name=suite.table)
    try:
        return asset.get_batch_definition("whole_table")
    except KeyError:
        return asset.add_batch_definition_whole_table("whole_table")


def validate_suites(
    warehouse: Path,
    suites: Sequence[Suite],
    *,
    as_of: date,
    baselines: Mapping[str, int | None] | None = None,
    gx_root: Path,
    docs_dir: Path,
    run_name: str | None = None,
    build_docs: bool = True,
) -> list[SuiteOutcome]:
    """Run the suites on the warehouse (read-only, SQL pushdown) and build the Data Docs."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    _persist_duckdb_connections()
    baselines = baselines or {}
    gx_root.mkdir(parents=True, exist_ok=True)
    docs_dir.mkdir(parents=True, exist_ok=True)
    context = _gx_context(gx_root, docs_dir)
    run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
    outcomes = []
    try:
        datasource = _datasource(context, warehouse)
        for suite in suites:
            started = time.perf_counter()
            parameters = expectation_parameters(
                as_of, suite.expectations, baselines.get(suite.name)
            )
            batch = _whole_table(datasource, suite)
            gx_suite = context.suites.add_or_update(
                gx.ExpectationSuite(
                    name=suite.name,
                    expectations=suite.expectations,
                    meta=dict(suite.definition.get("meta", {})),
                )
            )
            definition = context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
            )
            result = definition.run(
                expectation_parameters=parameters,
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20},
                run_id=run_id,
            )
            # results come back in GX's order: match each to its entry in the suite file
            position = {e.id: i for i, e in enumerate(gx_suite.expectations)}
            results = [
                _outcome(
                    item,
                    suite.expectations[position[item.expectation_config.id]],
                    suite.table,
                    parameters,
                )
                for item in result.results
            ]
            outcomes.append(
                SuiteOutcome(
                    suite=suite,
                    outcomes=results,
                    parameters=parameters,
                    baseline_row_count=baselines.get(suite.name),
                    duration_s=time.perf_counter() - started,
                )
            )
    finally:
        _close_gx(context)
    _add_samples(warehouse, outcomes)
    if build_docs:
        _prune_results(gx_root, docs_dir, [s.name for s in suites])
        context.build_data_docs(site_names=[DOCS_SITE])
    return outcomes


def _add_samples(warehouse: Path, outcomes: Sequence[SuiteOutcome]) -> None:
    """A few failing rows for the failed queries GX only counts (kept short for the UI)."""
    wanted = [
        o
        for suite in outcomes
        for o in suite.failed
        if o.expectation_type == UNEXPECTED_ROWS_EXPECTATION and not o.error
    ]
    if not wanted:
        return
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for outcome in wanted:
            rows = connection.execute(
                f"select * from ({outcome.failing_rows_sql}) limit {SAMPLE_SIZE}"
            )
            names = [d[0] for d in rows.description]
            outcome.sample = [_plain(dict(zip(names, row, strict=True))) for row in rows.fetchall()]


def _prune_results(gx_root: Path, docs_dir: Path, suite_names: Iterable[str]) -> None:
    """Keep the latest validation runs per suite, so the Data Docs index stays small."""
    stores = (gx_root / "gx" / "uncommitted" / "validations", docs_dir / "validations")
    for name in suite_names:
        for folder in (store / name for store in stores):
            if not folder.is_dir():
                continue
            # <suite>/<run name>/<run time>/: run times sort in time order
            runs = sorted(
                (run_time for run_name in folder.iterdir() for run_time in run_name.iterdir()),
                key=lambda path: path.name,
            )
            for old in runs[:-KEEP_RESULTS_PER_SUITE]:
                shutil.rmtree(old, ignore_errors=True)


# --- Dagster ------------------------------------------------------------------------------------


def previous_baselines(
    instance: DagsterInstance, suites: Iterable[Suite], as_of: date
) -> dict[str, int | None]:
    """Each suite's accepted row count from its latest evaluation as of the same or an earlier day.

    Rebuilding an earlier day legitimately holds fewer rows, so a later as-of day's count is no
    baseline. `FUNNEL_QUALITY_ACCEPT_ROW_COUNTS=1` drops the baselines for one run.
    """
    if os.environ.get(ACCEPT_ROW_COUNTS_ENV, "").strip() in {"1", "true", "yes"}:
        return {suite.name: None for suite in suites}
    baselines: dict[str, int | None] = {}
    for suite in suites:
        baselines[suite.name] = None
        # the latest completed evaluation: this run's own is only planned yet
        history = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(suite.asset_key, CHECK_NAME),
            limit=1,
            status=COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
        )
        evaluation = _evaluation(history[0]) if history else None
        if evaluation is None:
            continue
        metadata = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
        accepted, previous_as_of = metadata.get("accepted_row_count"), metadata.get("as_of")
        if isinstance(accepted, int) and previous_as_of and previous_as_of <= as_of.isoformat():
            baselines[suite.name] = accepted
    return baselines


def _evaluation(record: Any) -> Any:
    entry = getattr(record, "event", None)
    event = getattr(entry, "dagster_event", None) if entry is not None else None
    data = getattr(event, "event_specific_data", None) if event is not None else None
    return data if data is not None and hasattr(data, "metadata") else None


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
        baselines = previous_baselines(context.instance, selected, as_of)
        docs_dir = paths.reports / "data_docs"
        outcomes = validate_suites(
            paths.warehouse,
            selected,
            as_of=as_of,
            baselines=baselines,
            gx_root=paths.home,
            docs_dir=docs_dir,
            run_name=context.run.run_id,
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


def _known_assets() -> list[AssetKey]:
    from orchestration.contract import ENTITIES
    from orchestration.dbt_assets import funnel_dbt_assets
    from orchestration.raw_assets import raw_asset_key

    return [*funnel_dbt_assets.keys, *(AssetKey(raw_asset_key(e)) for e in ENTITIES)]


quality_checks = build_all_quality_checks(_known_assets())


# --- reporting a failed run ---------------------------------------------------------------------


def failed_check_lines(events: Iterable[Any], as_of: date) -> list[str]:
    """What `funnel run` prints for each failed check: its key, its effect, how to see the rows.

    Takes the run's Dagster events; great-expectations checks carry their own query, dbt tests
    are shown with `dbt show`.
    """
    lines = []
    for event in events:
        if getattr(event, "event_type_value", None) != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if evaluation.passed:
            continue
        blocking = evaluation.severity == AssetCheckSeverity.ERROR
        effect = "blocking" if blocking else "warning"
        key = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        metadata = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
        if evaluation.check_name == CHECK_NAME:
            lines.append(f"  check {key} ({effect}): {evaluation.description}")
            continue
        failed_rows = metadata.get("dagster_dbt/failed_row_count")
        rows = f"{failed_rows} failing rows; " if failed_rows is not None else ""
        lines.append(
            f"  check {key} ({effect}, dbt test): {rows}see them with `cd {PROJECT_DIR} &&"
            f" FUNNEL_HOME={os.environ.get('FUNNEL_HOME', 'data')} .venv/bin/dbt show"
            f" --profiles-dir . --select {evaluation.check_name}"
            f" --vars '{{as_of: {as_of.isoformat()}}}'`"
        )
    return lines
