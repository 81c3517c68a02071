"""The dbt unit tests: every stage rule, score and date on rows made for the case.

They live next to the models they test (`models/**/_*__unit_tests.yml`); this runs them on an
empty warehouse, the way dbt recommends (`build --empty` gives the upstream relations their
columns, then `test --select test_type:unit`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.contract import ENTITIES
from orchestration.loading import load_entity
from orchestration.settings import PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")


def _dbt(args: list[str], home: Path, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DBT, *args, "--profiles-dir", str(PROJECT_DIR), "--target-path", str(target)],
        cwd=PROJECT_DIR,
        env={**os.environ, "FUNNEL_HOME": str(home)},
        capture_output=True,
        text=True,
    )


def test_every_dbt_unit_test_passes(tmp_path: Path) -> None:
    home, target = tmp_path / "home", tmp_path / "target"
    (home / "landing").mkdir(parents=True)
    for entity in ENTITIES:  # empty raw tables, as after a first load of an empty landing folder
        load_entity(home / "warehouse.duckdb", home / "landing", entity)

    built = _dbt(["build", "--empty", "--exclude-resource-type", "unit_test", "test"], home, target)
    assert built.returncode == 0, built.stdout[-4000:]

    tested = _dbt(["test", "--select", "test_type:unit"], home, target)
    results = json.loads((target / "run_results.json").read_text())["results"]
    failed = [r["unique_id"] for r in results if r["status"] != "pass"]
    assert tested.returncode == 0 and not failed, f"{failed}\n{tested.stdout[-6000:]}"
    assert len(results) >= 12, "unit tests went missing"
