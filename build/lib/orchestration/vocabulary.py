"""The project's vocabularies and settings, read from their one home: the seeds and the dbt vars.

The dbt models, the quality suites, the report and the tests all read a funnel state, a grade or a
threshold from here (or, in SQL, from the seed or `var()` itself), so that each is written once.
"""

from __future__ import annotations

import csv
from datetime import date
from functools import cache
from typing import Any, NamedTuple

import yaml

from orchestration.settings import PROJECT_DIR

SEEDS_DIR = PROJECT_DIR / "seeds"


def seed_rows(name: str) -> list[dict[str, str]]:
    """The rows of `seeds/<name>.csv`, as text."""
    with (SEEDS_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as seed:
        return list(csv.DictReader(seed))


@cache
def project_vars() -> dict[str, Any]:
    """The vars of `dbt_project.yml`, as the models read them by default."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return project["vars"]


class FunnelState(NamedTuple):
    state: str
    order: int
    kind: str  # `stage` along the funnel, `side` for recycled, disqualified and lost


@cache
def funnel_states() -> tuple[FunnelState, ...]:
    """Every state of the `funnel_states` seed, in order."""
    rows = [
        FunnelState(row["state"], int(row["state_order"]), row["kind"])
        for row in seed_rows("funnel_states")
    ]
    return tuple(sorted(rows, key=lambda s: s.order))


def funnel_stages() -> tuple[str, ...]:
    """The stages a prospect goes through, in order: every stage but out_of_target (contacts
    outside the ICP, which the funnel does not count)."""
    stages = (s.state for s in funnel_states() if s.kind == "stage")
    return tuple(stage for stage in stages if stage != "out_of_target")


@cache
def icp_grades() -> tuple[str, ...]:
    """The ICP grades of the `icp_grade_bands` seed, best first (A before D)."""
    rows = sorted(seed_rows("icp_grade_bands"), key=lambda row: -float(row["min_score"]))
    return tuple(row["grade"] for row in rows)


class Bounds(NamedTuple):
    min: float | int
    max: float | int


def plausible_bounds() -> dict[str, Bounds]:
    """The plausible range of each measure the quality checks bound, by name (the dbt vars
    `plausible_<name>`, e.g. `employee_count`)."""
    return {
        name.removeprefix("plausible_"): Bounds(value["min"], value["max"])
        for name, value in project_vars().items()
        if name.startswith("plausible_")
    }


def earliest_plausible_date() -> date:
    """The date floor: nothing the base records happened before it (dbt var)."""
    return date.fromisoformat(str(project_vars()["earliest_plausible_date"]))


def stale_after_months() -> int:
    """A record not updated for more months than this before the as-of day is stale (dbt var)."""
    return int(project_vars()["stale_after_months"])
