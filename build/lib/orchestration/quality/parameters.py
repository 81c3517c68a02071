"""The `$PARAMETER` values a suite runs with: the as-of day, the row-count bounds around the
accepted baseline, the funnel states, the grades and the plausibility bounds (each read from its
one home: the seeds and the dbt vars)."""

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from orchestration.quality.suites import ROW_COUNT_EXPECTATION
from orchestration.vocabulary import (
    earliest_plausible_date,
    funnel_states,
    icp_grades,
    plausible_bounds,
)


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
        # the plausibility vars of dbt_project.yml: the date floor, and `plausible_<measure>_min`
        # / `plausible_<measure>_max` for each `plausible_<measure>`
        "earliest_plausible_at": datetime.combine(earliest_plausible_date(), datetime.min.time()),
        **{
            f"plausible_{measure}_{end}": value
            for measure, bounds in plausible_bounds().items()
            for end, value in bounds._asdict().items()
        },
    }
