"""Where a run reads and writes: everything lives under FUNNEL_HOME (default `./data`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The dbt project sits at the repository root, next to this package.
PROJECT_DIR = Path(__file__).resolve().parent.parent


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
