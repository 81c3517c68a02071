"""The Dagster code location: assembles assets, checks, resources, jobs, schedules and sensors."""

from dagster import Definitions

from orchestration.dbt_assets import funnel_dbt_assets
from orchestration.dbt_project import dbt_resource
from orchestration.publishing import published
from orchestration.quality import quality_checks
from orchestration.raw_assets import raw_assets
from orchestration.reporting import leadership_report
from orchestration.resources import FunnelHomeResource
from orchestration.schedules import daily_funnel_schedule, funnel_job, landing_files_sensor
from orchestration.settings import FunnelPaths

defs = Definitions(
    assets=[*raw_assets, funnel_dbt_assets, published, leadership_report],
    asset_checks=quality_checks,
    jobs=[funnel_job],
    schedules=[daily_funnel_schedule],
    sensors=[landing_files_sensor],
    resources={
        "dbt": dbt_resource(),
        "funnel_home": FunnelHomeResource(home=str(FunnelPaths.from_env().home)),
    },
)
