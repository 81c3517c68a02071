"""The row count each suite accepted at its previous evaluation, read back from the Dagster
instance: the baseline of "row count within a tolerance of the previous run"."""

import os
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from dagster import AssetCheckKey, DagsterInstance
from dagster._core.storage.asset_check_execution_record import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
)

from orchestration.quality.suites import CHECK_NAME, Suite

# Set to 1 for one run to accept the current row counts as the new baseline (an intended drop).
ACCEPT_ROW_COUNTS_ENV = "FUNNEL_QUALITY_ACCEPT_ROW_COUNTS"


def previous_baselines(
    instance: DagsterInstance,
    suites: Iterable[Suite],
    as_of: date,
    forgotten_at: datetime | None = None,
) -> dict[str, int | None]:
    """Each suite's accepted row count from its latest evaluation as of the same or an earlier day.

    Rebuilding an earlier day legitimately holds fewer rows, so a later as-of day's count is no
    baseline; nor is a count from before a file was forgotten (`forgotten_at`, UTC): the drop is
    intended, so the run after `funnel forget` sets new baselines.
    `FUNNEL_QUALITY_ACCEPT_ROW_COUNTS=1` drops the baselines for one run.
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
        if forgotten_at is not None and history[0].create_timestamp < _epoch(forgotten_at):
            continue
        metadata = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
        accepted, previous_as_of = metadata.get("accepted_row_count"), metadata.get("as_of")
        if isinstance(accepted, int) and previous_as_of and previous_as_of <= as_of.isoformat():
            baselines[suite.name] = accepted
    return baselines


def _epoch(naive_utc: datetime) -> float:
    return naive_utc.replace(tzinfo=UTC).timestamp()


def _evaluation(record: Any) -> Any:
    entry = getattr(record, "event", None)
    event = getattr(entry, "dagster_event", None) if entry is not None else None
    data = getattr(event, "event_specific_data", None) if event is not None else None
    return data if data is not None and hasattr(data, "metadata") else None
