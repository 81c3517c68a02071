"""The funnel's states, as the `funnel_states` seed defines them (name, order, kind).

The dbt models, the quality suites and the report all read the states from the seed, so that a
state is named and ordered in one place.
"""

from __future__ import annotations

import csv
from functools import cache
from typing import NamedTuple

from orchestration.settings import PROJECT_DIR

SEED = PROJECT_DIR / "seeds" / "funnel_states.csv"


class FunnelState(NamedTuple):
    state: str
    order: int
    kind: str  # `stage` along the funnel, `side` for recycled, disqualified and lost


@cache
def funnel_states() -> tuple[FunnelState, ...]:
    """Every state, in order."""
    with SEED.open(encoding="utf-8", newline="") as seed:
        rows = [
            FunnelState(row["state"], int(row["state_order"]), row["kind"])
            for row in csv.DictReader(seed)
        ]
    return tuple(sorted(rows, key=lambda s: s.order))


def funnel_stages() -> tuple[str, ...]:
    """The stages a prospect goes through, in order: every stage but out_of_target (contacts
    outside the ICP, which the funnel does not count)."""
    stages = (s.state for s in funnel_states() if s.kind == "stage")
    return tuple(stage for stage in stages if stage != "out_of_target")
