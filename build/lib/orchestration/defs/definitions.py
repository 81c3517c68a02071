"""The Dagster code location: assembles assets, checks, resources, jobs, schedules and sensors.

Importing this module parses nothing and reads no manifest: Dagster calls `defs` when it loads
the code location (`dagster dev`, `funnel ui`, a run's process), and `funnel run` calls it before
executing the job. It parses the dbt project when the manifest is stale, then builds the dbt
assets, the publication downstream of the public models and the quality checks from it.
"""

from collections.abc import Iterable

import dagster as dg

from orchestration.contract import ENTITIES
from orchestration.dbt_project import dbt_resource, prepare_manifest_if_needed
from orchestration.defs.dbt_assets import build_dbt_assets
from orchestration.defs.published import (
    build_published_asset,
    compacted_warehouse,
    public_table_keys,
)
from orchestration.defs.quality_checks import build_all_quality_checks
from orchestration.defs.raw_assets import raw_asset_key, raw_assets
from orchestration.defs.reporting import leadership_report
from orchestration.defs.resources import FunnelHomeResource
from orchestration.defs.schedules import daily_funnel_schedule, funnel_job, landing_files_sensor
from orchestration.gc_tuning import tune_for_a_run
from orchestration.settings import FunnelPaths


def known_assets(dbt_asset_keys: Iterable[dg.AssetKey]) -> list[dg.AssetKey]:
    """The assets a quality suite may protect: the dbt models and seeds, and the raw tables."""
    return [*dbt_asset_keys, *(dg.AssetKey(raw_asset_key(e)) for e in ENTITIES)]


@dg.definitions
def defs() -> dg.Definitions:
    tune_for_a_run()
    prepare_manifest_if_needed()
    funnel_dbt_assets = build_dbt_assets()
    published = build_published_asset(public_table_keys(funnel_dbt_assets.keys))
    return dg.Definitions(
        assets=[*raw_assets, funnel_dbt_assets, published, compacted_warehouse, leadership_report],
        asset_checks=build_all_quality_checks(known_assets(funnel_dbt_assets.keys)),
        jobs=[funnel_job],
        schedules=[daily_funnel_schedule],
        sensors=[landing_files_sensor],
        resources={
            "dbt": dbt_resource(),
            "funnel_home": FunnelHomeResource(home=str(FunnelPaths.from_env().home)),
        },
    )
