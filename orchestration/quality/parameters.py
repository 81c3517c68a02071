"""The `$PARAMETER` values a suite runs with: the as-of day, the row-count bounds around the
accepted baseline, the funnel states."""

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from orchestration.quality.suites import ROW_COUNT_EXPECTATION
from orchestration.vocabulary import funnel_states


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
    }
