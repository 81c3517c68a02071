"""The job that runs everything, its run configuration (as-of day, report language), its daily
schedule, and the sensor on new landing files."""

import hashlib
import os
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    in_process_executor,
    schedule,
    sensor,
)

from orchestration.contract import ENTITIES
from orchestration.loading import landing_files
from orchestration.settings import FunnelPaths

DBT_OP_NAME = "funnel_dbt_assets"
# The publication asset (serving/published), see orchestration/defs/published.py.
PUBLISH_OP_NAME = "serving__published"
# The leadership report asset (reports/leadership_report), see orchestration/defs/reporting.py.
REPORT_OP_NAME = "reports__leadership_report"

# The daily schedule and the landing sensor run as soon as `funnel ui` (Dagster's daemon) starts;
# `funnel ui --stopped` sets this variable to `stopped` to keep both stopped until turned on in
# the UI. A status changed in the UI is kept in the Dagster instance and wins over this default.
AUTOMATION_ENV = "FUNNEL_AUTOMATION"


def automation_running() -> bool:
    """Whether the schedule and the sensor start running (the default) or stopped."""
    return os.environ.get(AUTOMATION_ENV, "running").strip().lower() != "stopped"


# DuckDB takes one writer at a time: the assets of a run execute one after another in one process.
funnel_job = define_asset_job(
    name="funnel_job",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Load new landing files, build the dbt models and run their checks.",
)


def run_config_as_of(
    as_of: str | None,
    lang: str = "en",
    replace_later: bool = False,
    full_refresh: bool = False,
    engine: str | None = None,
) -> dict:
    """The run configuration that computes scores and stages as of a day (None: today).

    `lang` is the leadership report's language (en, fr); `replace_later` publishes even over a
    publication as of a later day; `full_refresh` rebuilds every incremental model; `engine`
    builds the models on `duckdb` or `spark` (None: the one FUNNEL_HOME/funnel.toml names).
    """
    dbt_config = {"as_of": as_of, "full_refresh": full_refresh}
    if engine is not None:
        dbt_config["engine"] = engine
    return {
        "ops": {
            DBT_OP_NAME: {"config": dbt_config},
            PUBLISH_OP_NAME: {"config": {"replace_later_publication": replace_later}},
            REPORT_OP_NAME: {"config": {"lang": lang}},
        }
    }


def run_as_of(run_config: Mapping[str, Any] | None) -> date:
    """The run's as-of day, from the dbt op's config (`run_config_as_of`), else today (UTC)."""
    ops = (run_config or {}).get("ops", {})
    value = ops.get(DBT_OP_NAME, {}).get("config", {}).get("as_of")
    return date.fromisoformat(value) if value else datetime.now(UTC).date()


@schedule(
    job=funnel_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=(
        DefaultScheduleStatus.RUNNING if automation_running() else DefaultScheduleStatus.STOPPED
    ),
)
def daily_funnel_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """Every morning, the funnel as of the day before (the last complete day)."""
    day = context.scheduled_execution_time.date()
    previous = day.fromordinal(day.toordinal() - 1).isoformat()
    return RunRequest(run_key=previous, run_config=run_config_as_of(previous))


def landing_fingerprint(paths: FunnelPaths) -> str | None:
    """A digest of the landing files' names, sizes and modification times (None when empty).

    Cheap and lock-free: the sensor never opens the warehouse, which the running job may hold.
    """
    digest = hashlib.sha256()
    count = 0
    for entity in ENTITIES:
        for path in landing_files(paths.landing, entity):
            stat = path.stat()
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
            count += 1
    return digest.hexdigest() if count else None


@sensor(
    job=funnel_job,
    minimum_interval_seconds=60,
    default_status=(
        DefaultSensorStatus.RUNNING if automation_running() else DefaultSensorStatus.STOPPED
    ),
    description="Starts the funnel job when files land or change under FUNNEL_HOME/landing.",
)
def landing_files_sensor(context: SensorEvaluationContext):
    fingerprint = landing_fingerprint(FunnelPaths.from_env())
    if fingerprint is None:
        return SkipReason(f"No landing files under {FunnelPaths.from_env().landing}")
    if fingerprint == context.cursor:
        return SkipReason("No new landing files")
    context.update_cursor(fingerprint)
    return RunRequest(run_key=fingerprint, run_config=run_config_as_of(None))
