"""Dagster resources shared by the assets."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from orchestration.settings import FunnelPaths


class FunnelHomeResource(ConfigurableResource):
    """The FUNNEL_HOME folder a run reads and writes (landing, warehouse, serving, reports)."""

    home: str

    @property
    def paths(self) -> FunnelPaths:
        return FunnelPaths(Path(self.home).expanduser().resolve())
