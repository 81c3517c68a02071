"""The dbt project as Dagster assets: models, seeds and their data tests (as asset checks)."""

import json
import os
import shutil
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Config
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_builds import full_refresh_reason, project_fingerprint, record_build
from orchestration.dbt_project import dbt_project
from orchestration.defs.raw_assets import raw_asset_key
from orchestration.defs.resources import FunnelHomeResource
from orchestration.loading.tables import utc_now

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


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


def build_args(as_of: str | None, full_refresh: bool = False) -> list[str]:
    """The `dbt build` arguments for a run as of the given day."""
    if as_of is not None:
        date.fromisoformat(as_of)  # a clear error now rather than a SQL one later
    # Unit tests check the SQL logic on made-up rows: `make test` runs them, not every run.
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps({"as_of": as_of})]
    return [*args, "--full-refresh"] if full_refresh else args


def keep_parse_state(invocation_target: Path, target: Path = dbt_project.target_path) -> None:
    """Keep the build's parse state as target/partial_parse.msgpack, which dagster-dbt copies
    into the next invocation: dbt then re-parses only what changed, when the project's vars
    (the as-of day) and profile (FUNNEL_HOME) are the build's. Any other build parses in full,
    as it would without it. Replaced atomically: another home's run may be reading it."""
    state = invocation_target / PARTIAL_PARSE_FILE
    if not state.exists():
        return
    target.mkdir(parents=True, exist_ok=True)
    incoming = target / f".{PARTIAL_PARSE_FILE}.{os.getpid()}"
    shutil.copyfile(state, incoming)
    os.replace(incoming, target / PARTIAL_PARSE_FILE)


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
        invocation = dbt.cli(build_args(config.as_of, reason is not None), context=context)
        try:
            yield from invocation.stream()
            keep_parse_state(invocation.target_path)
            record_build(warehouse, started_at, config.as_of, fingerprint, reason)
        finally:
            # Each invocation writes its own target/<id> folder; the run's events hold its results.
            shutil.rmtree(invocation.target_path, ignore_errors=True)

    return funnel_dbt_assets
