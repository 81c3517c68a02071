"""The pipeline run the end-to-end tests share: a generated base, `funnel run` as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from orchestration.synthetic import GenerationSummary, generate

AS_OF = date(2026, 6, 30)
FUNNEL = str(Path(sys.executable).parent / "funnel")


class Run:
    """A FUNNEL_HOME after `funnel run`, what was generated into it and what the command said."""

    def __init__(self, home: Path, summary: GenerationSummary, result: subprocess.CompletedProcess):
        self.home = home
        self.summary = summary
        self.result = result

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def scalar(self, sql: str) -> Any:
        return self.query(sql)[0][0]


def run_pipeline(home: Path) -> Run:
    """Generate 600 contacts (seed 11) up to AS_OF into `home` and run the whole pipeline on it."""
    summary = generate(home / "landing", contacts=600, seed=11, end_date=AS_OF)
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    result = subprocess.run(
        [FUNNEL, "run", "--as-of", AS_OF.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return Run(home, summary, result)
