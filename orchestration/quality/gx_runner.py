"""Runs the suites with great-expectations on the DuckDB warehouse (SQL pushdown, read-only, every
connection closed before it returns), stores the results in a GX project and renders the Data
Docs."""

import enum
import importlib.util
import json
import shutil
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.quality.failing_rows import failing_rows_sql
from orchestration.quality.outcomes import ExpectationOutcome, SuiteOutcome
from orchestration.quality.parameters import expectation_parameters
from orchestration.quality.suites import UNEXPECTED_ROWS_EXPECTATION, Suite, severity_of
from orchestration.settings import FunnelPaths, duckdb_config

DATASOURCE = "warehouse"
DOCS_SITE = "funnel"
SAMPLE_SIZE = 5
# Validation results (and their Data Docs pages) kept per suite.
KEEP_RESULTS_PER_SUITE = 30


# Modules great-expectations imports when it is imported, for expectations the suites do not use
# (distribution tests, KL divergence): loaded on first use instead. scipy.stats alone was about a
# third of great-expectations' import, paid by every run before its raw checks.
DEFERRED_IMPORTS = ("scipy.stats",)


def _defer_unused_imports() -> None:
    """Register DEFERRED_IMPORTS as lazy modules, before great-expectations is first imported:
    the module is executed when one of its attributes is first read, so an expectation that
    needs it still gets it whole."""
    if "great_expectations" in sys.modules:
        return
    for name in DEFERRED_IMPORTS:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            continue
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        # `from scipy import stats` reads the attribute of the package: set it, or scipy's own
        # lazy `__getattr__` imports the module again, which loads it.
        parent, _, child = name.rpartition(".")
        setattr(sys.modules[parent], child, module)


def import_great_expectations() -> Any:
    """great_expectations, without the imports its unused expectations need (DEFERRED_IMPORTS)."""
    _defer_unused_imports()
    import great_expectations

    return great_expectations


class _DuckDBDialect(enum.StrEnum):
    DUCKDB = "duckdb"


def _persist_duckdb_connections() -> None:
    """GX reads after duckdb-engine's connection went back to the pool unless it persists it."""
    import_great_expectations()
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    if _DuckDBDialect.DUCKDB not in engine._PERSISTED_CONNECTION_DIALECTS:
        engine._PERSISTED_CONNECTION_DIALECTS = (
            *engine._PERSISTED_CONNECTION_DIALECTS,
            _DuckDBDialect.DUCKDB,
        )


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


# What an expectation's error says when the warehouse could not be read at all: the file locked
# by another process, a full disk, memory exhausted. Such a run failed; the data did not.
INFRASTRUCTURE_ERRORS = ("IOException", "Could not set lock", "No space left", "Out of Memory")


class WarehouseUnreadable(RuntimeError):
    """great-expectations could not read the warehouse: no verdict on the data."""


def raise_infrastructure_errors(suite: Any, outcomes: list[ExpectationOutcome]) -> None:
    for outcome in outcomes:
        if outcome.error and any(sign in outcome.error for sign in INFRASTRUCTURE_ERRORS):
            first_line = outcome.error.strip().splitlines()[0][:240]
            raise WarehouseUnreadable(
                f"the quality suite of {suite.table} could not read the warehouse: {first_line}"
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


def discard_torn_writes(gx_root: Path) -> list[Path]:
    """Delete the GX project's JSON files that a run killed while writing them left unreadable.

    great-expectations writes its project files in place, not atomically: a run killed midway
    can leave a suite, a validation definition or a result cut short, and every later run would
    fail to load it. Each is derived (suites and definitions are written again from
    `expectations/` by every run; a result is one run's record), so an unreadable one is
    dropped. Returns what was deleted.
    """
    torn = []
    for path in sorted((gx_root / "gx").glob("**/*.json")):
        try:
            readable = isinstance(json.loads(path.read_bytes()), dict)
        except ValueError:
            readable = False
        if not readable:
            path.unlink()
            torn.append(path)
    return torn


def _gx_context(gx_root: Path, docs_dir: Path) -> Any:
    gx = import_great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from orchestration.quality.data_docs_site import site_config

    discard_torn_writes(gx_root)
    try:
        context = gx.get_context(mode="file", project_root_dir=str(gx_root))
    except Exception:
        # the project's YAML cut short by a killed run: it holds nothing this code does not add
        # again (the datasource, its assets, the Data Docs site), so it is started afresh
        config = gx_root / "gx" / "great_expectations.yml"
        if not config.exists():
            raise
        config.unlink()
        context = gx.get_context(mode="file", project_root_dir=str(gx_root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    # the Data Docs open offline (orchestration/quality/data_docs_site.py); a site configured
    # otherwise, by an earlier version (loading from CDNs) or for another folder, is replaced
    site = site_config(docs_dir)
    sites = context.get_config().data_docs_sites or {}
    for name in list(sites):
        if name != DOCS_SITE or _plain_config(sites[name]) != site:
            context.delete_data_docs_site(name)
    if DOCS_SITE not in (context.get_config().data_docs_sites or {}):
        context.add_data_docs_site(site_name=DOCS_SITE, site_config=site)
    return context


def _plain_config(config: Mapping) -> Any:
    """A site's configuration as GX read it from its YAML, in plain dicts, to compare."""
    return json.loads(json.dumps(config))


def _datasource(context: Any, warehouse: Path) -> Any:
    """The warehouse as a GX SQL datasource, read-only, within DuckDB's memory limit; kept in the
    GX project between runs.

    Every change to a datasource rewrites the project's YAML, which costs more than the queries
    on a small base: the datasource and its table assets are only added when missing.
    """
    connection_string = f"duckdb:///{warehouse}"
    kwargs = {"connect_args": {"read_only": True, "config": _duckdb_config(warehouse)}}
    existing = context.data_sources.all().get(DATASOURCE)
    if (
        existing is not None
        and str(existing.connection_string) == connection_string
        and existing.kwargs == kwargs
    ):
        return existing
    if existing is not None:
        context.data_sources.delete(DATASOURCE)
    return context.data_sources.add_sql(
        name=DATASOURCE, connection_string=connection_string, kwargs=kwargs
    )


def _duckdb_config(warehouse: Path) -> dict[str, str]:
    return duckdb_config(FunnelPaths(warehouse.parent))


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
    run_time: datetime | None = None,
    build_docs: bool = True,
) -> list[SuiteOutcome]:
    """Run the suites on the warehouse (read-only, SQL pushdown) and, unless told not to (see
    `render_data_docs`), build the Data Docs of the run (`run_name`, `run_time`: default now)."""
    gx = import_great_expectations()
    from great_expectations.core.run_identifier import RunIdentifier

    _persist_duckdb_connections()
    baselines = baselines or {}
    gx_root.mkdir(parents=True, exist_ok=True)
    docs_dir.mkdir(parents=True, exist_ok=True)
    context = _gx_context(gx_root, docs_dir)
    run_id = RunIdentifier(run_name=run_name, run_time=run_time or datetime.now(UTC))
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
            raise_infrastructure_errors(suite, results)
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
        _build_data_docs(context, gx_root, docs_dir, suites, run_id)
    return outcomes


def render_data_docs(
    *, gx_root: Path, docs_dir: Path, suites: Sequence[Suite], run_name: str, run_time: datetime
) -> None:
    """Build the Data Docs of a run of `validate_suites(..., build_docs=False)`."""
    import_great_expectations()
    from great_expectations.core.run_identifier import RunIdentifier

    context = _gx_context(gx_root, docs_dir)
    run_id = RunIdentifier(run_name=run_name, run_time=run_time)
    _build_data_docs(context, gx_root, docs_dir, suites, run_id)


def _build_data_docs(
    context: Any, gx_root: Path, docs_dir: Path, suites: Sequence[Suite], run_id: Any
) -> None:
    _prune_results(gx_root, docs_dir, [s.name for s in suites])
    context.build_data_docs(
        site_names=[DOCS_SITE], resource_identifiers=_this_run_pages(context, suites, run_id)
    )


def _this_run_pages(context: Any, suites: Sequence[Suite], run_id: Any) -> list:
    """The Data Docs pages of this run's suites and results. The pages of earlier runs are
    already rendered: rendering every kept result again (up to KEEP_RESULTS_PER_SUITE per suite)
    made each run slower than the one before. The index still lists them all."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    names = {suite.name for suite in suites}
    results = [
        key
        for key in context.validation_results_store.list_keys()
        if key.run_id == run_id and key.expectation_suite_identifier.name in names
    ]
    return [*(ExpectationSuiteIdentifier(name=name) for name in sorted(names)), *results]


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
    config = _duckdb_config(warehouse)
    with duckdb.connect(str(warehouse), read_only=True, config=config) as connection:
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
