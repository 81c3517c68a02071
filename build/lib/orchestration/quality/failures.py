"""What `funnel run` prints about the checks that failed in a run."""

import os
from collections.abc import Iterable
from datetime import date
from typing import Any

from dagster import AssetCheckSeverity

from orchestration.quality.suites import CHECK_NAME
from orchestration.settings import PROJECT_DIR


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
            f" FUNNEL_HOME={os.environ.get('FUNNEL_HOME', 'data')}"
            f" FUNNEL_AS_OF={as_of.isoformat()} .venv/bin/dbt show"
            f" --profiles-dir . --select {evaluation.check_name}`"
        )
    return lines
