"""Where a run reads and writes: everything lives under FUNNEL_HOME (default `./data`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The dbt project sits at the repository root, next to this package.
PROJECT_DIR = Path(__file__).resolve().parent.parent

# A landing file is loaded once it has not been modified for this long (or has a `.done` marker):
# a file still being copied into landing is left for the next run. See docs/loading.md.
LANDING_MIN_AGE_ENV = "FUNNEL_LANDING_MIN_AGE_SECONDS"
DEFAULT_LANDING_MIN_AGE_SECONDS = 10.0


def landing_min_age_seconds() -> float:
    """The minimum age of a landing file before it is loaded: the environment's, else 10 s."""
    value = os.environ.get(LANDING_MIN_AGE_ENV, "").strip()
    if not value:
        return DEFAULT_LANDING_MIN_AGE_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also refuses nan
        raise ValueError(
            f"{LANDING_MIN_AGE_ENV}={value!r}: expected a number of seconds, 0 or more"
        )
    return seconds


@dataclass(frozen=True)
class FunnelPaths:
    """The files of one FUNNEL_HOME. Flags of the `funnel` command may override each path."""

    home: Path

    @classmethod
    def from_env(cls) -> FunnelPaths:
        return cls(Path(os.environ.get("FUNNEL_HOME", "data")).resolve())

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        return self.home / "serving.duckdb"

    @property
    def reports(self) -> Path:
        return self.home / "reports"
