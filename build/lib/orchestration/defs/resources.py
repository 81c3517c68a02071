"""Dagster resources shared by the assets."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext

from orchestration.home_lock import home_lock
from orchestration.settings import FunnelPaths


class FunnelHomeResource(ConfigurableResource):
    """The FUNNEL_HOME folder a run reads and writes (landing, warehouse, serving, reports).

    A run holds the home's lock while it uses the resource: a run launched from the UI or the
    schedule while `funnel run` writes the same home fails at once, saying which process holds
    it, instead of failing on DuckDB's file lock halfway. (`funnel run` takes the lock before the
    job starts; the lock is re-entrant, so its own run goes on.)
    """

    home: str

    @property
    def paths(self) -> FunnelPaths:
        return FunnelPaths(Path(self.home).expanduser().resolve())

    @contextlib.contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[FunnelHomeResource]:
        with home_lock(self.paths.home):
            yield self
