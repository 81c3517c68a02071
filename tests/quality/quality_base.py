"""The clean base the quality tests share, and how to run `funnel run` on it again."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

AS_OF = date(2026, 6, 30)
FUNNEL = str(Path(sys.executable).parent / "funnel")


@dataclass
class CleanBase:
    home: Path
    pristine: Path  # a copy of the warehouse right after the clean run, never written
    result: subprocess.CompletedProcess
    serving_bytes: bytes | None

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "FUNNEL_HOME": str(self.home),
            "DAGSTER_HOME": str(self.home / "dagster"),
        }

    def run(self) -> subprocess.CompletedProcess:
        return subprocess.run(
            [FUNNEL, "run", "--as-of", AS_OF.isoformat()],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
