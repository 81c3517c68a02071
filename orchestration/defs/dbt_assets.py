"""The dbt project as Dagster assets: models, seeds and their data tests (as asset checks)."""

import shutil
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Config
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration import dbt_worker
from orchestration.dbt_builds import full_refresh_reason, project_fingerprint, record_build
from orchestration.dbt_invocations import BUILD_OP, invocation_target, keep_parse_state
from orchestration.dbt_project import (
    dbt_project,
    environment_variable,
    spark_dbt_resource,
    spark_environment,
)
from orchestration.defs.raw_assets import raw_asset_key
from orchestration.defs.resources import FunnelHomeResource
from orchestration.engines import (
    SPARK,
    checked_engine,
    home_engine,
    import_spark_tables,
    spark_paths,
)
from orchestration.lake import sync_lake
from orchestration.loading.tables import connect, utc_now
from orchestration.settings import FunnelPaths

# The day the models are computed as of (macros/as_of.sql).
AS_OF_VARIABLE = "FUNNEL_AS_OF"


class FunnelDbtTranslator(DagsterDbtTranslator):
    """Sources point at the raw load assets; each model folder is a Dagster group."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(raw_asset_key(dbt_resource_props["name"]))
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        # fqn is [project, folder, ...]: models/staging/... -> "staging"
        return dbt_resource_props["fqn"][1]


class DbtBuildConfig(Config):
    """Run configuration of the dbt build."""

    as_of: str | None = None
    """The day scores and stages are computed as of (YYYY-MM-DD); default today (UTC)."""

    full_refresh: bool = False
    """Rebuild every incremental model from scratch. The build decides it by itself when an
    incremental build could not see a change (orchestration/dbt_builds.py)."""

    engine: str | None = None
    """The engine that builds the models: `duckdb` or `spark` (docs/spark.md); default the one
    FUNNEL_HOME/funnel.toml names, else DuckDB."""


# The seeds, and the data tests on seeds alone, change only with the project: a build that needs
# no full refresh (the project is the one last built) leaves them as they are (about 40 of 300
# nodes). `cautious` keeps the tests on a model and a seed, which dbt's default would drop too.
UNCHANGED_SEEDS_LEFT_OUT = ["--exclude", "resource_type:seed", "--indirect-selection", "cautious"]


def build_args(full_refresh: bool = False, whole_project: bool = True) -> list[str]:
    """The `dbt build` arguments of a run. `whole_project`: the run builds every dbt asset (not
    a subset picked in the UI, for which dagster-dbt chooses the tests itself)."""
    # Unit tests check the SQL logic on made-up rows: `make test` runs them, not every run.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        return [*args, "--full-refresh"]
    return [*args, *UNCHANGED_SEEDS_LEFT_OUT] if whole_project else args


def as_of_environment(as_of: str | None) -> AbstractContextManager[None]:
    """`FUNNEL_AS_OF` set to the day (empty: today) while the dbt process is started, restored
    after: the models read it (macros/as_of.sql), and a day passed this way, unlike a `--vars`
    value, leaves dbt's parse of the project valid. The process inherits it when started."""
    if as_of is not None:
        date.fromisoformat(as_of)  # a clear error now rather than a SQL one later
    return environment_variable(AS_OF_VARIABLE, as_of or "")


def build_dbt_assets() -> AssetsDefinition:
    """The dbt assets of the parsed manifest (`prepare_manifest_if_needed` parses it first)."""

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=FunnelDbtTranslator(),
    )
    def funnel_dbt_assets(
        context: AssetExecutionContext,
        dbt: DbtCliResource,
        config: DbtBuildConfig,
        funnel_home: FunnelHomeResource,
    ):
        engine = checked_engine(config.engine) if config.engine else home_engine(funnel_home.paths)
        if engine == SPARK:
            yield from _build_on_spark(context, config, funnel_home.paths)
            return
        warehouse = funnel_home.paths.warehouse
        fingerprint = project_fingerprint()
        reason = (
            "asked for by the run (--full-refresh)"
            if config.full_refresh
            else full_refresh_reason(warehouse, fingerprint)
        )
        if reason:
            context.log.info(f"dbt rebuilds every incremental model in full: {reason}.")
        started_at = utc_now()
        home_state = funnel_home.paths.parse_state
        whole_project = not context.is_subset
        args = build_args(reason is not None, whole_project=whole_project)
        # dbt imported and the project parsed while the run loaded (orchestration/dbt_worker.py)
        worker = dbt_worker.take(home_state) if whole_project else None
        target = worker.target_path if worker else invocation_target(BUILD_OP, home_state)
        try:
            with as_of_environment(config.as_of):
                invocation = (
                    dbt_worker.build(worker, args, context)
                    if worker
                    else dbt.cli(args, context=context, target_path=target)
                )
            yield from invocation.stream()
            keep_parse_state(target, home_state)
            record_build(warehouse, started_at, config.as_of, fingerprint, reason)
        finally:
            # Each invocation writes its own target folder; the run's events hold its results.
            shutil.rmtree(target, ignore_errors=True)

    return funnel_dbt_assets


def _build_on_spark(context: AssetExecutionContext, config: DbtBuildConfig, paths: FunnelPaths):
    """The dbt build on Spark (orchestration/engines.py): the raw lake brought up to date, every
    model built and tested on Spark (a table each: nothing there is incremental), then the
    public tables copied into the warehouse and its staging models made views of Spark's. The
    build is recorded so that the next DuckDB build, whose own tables missed this one's
    changes, rebuilds in full."""
    spark = spark_paths(paths)
    with connect(paths.warehouse) as connection:
        synced = sync_lake(connection, spark["lake"])
    context.log.info(
        f"Raw lake {spark['lake']}: {synced['written']} files written, {synced['removed']} removed."
    )
    resource = spark_dbt_resource()
    started_at = utc_now()
    target = invocation_target(BUILD_OP, spark["parse_state"])
    try:
        with as_of_environment(config.as_of), spark_environment():
            invocation = resource.cli(
                ["build", "--exclude-resource-type", "unit_test"],
                context=context,
                target_path=target,
            )
        yield from invocation.stream()
        keep_parse_state(target, spark["parse_state"], project_target=None)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    copy_started = time.perf_counter()
    with connect(paths.warehouse) as connection:
        counts = import_spark_tables(connection, spark["warehouse"], dbt_project.manifest_path)
    context.log.info(
        f"Public tables copied from Spark in {time.perf_counter() - copy_started:.1f} s:"
        f" {', '.join(f'{table} {rows:,}' for table, rows in counts.items())} rows."
    )
    record_build(
        paths.warehouse, started_at, config.as_of, f"{SPARK}:{project_fingerprint()}", None
    )
