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

import pytest

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


@pytest.fixture(scope="module")
def empty_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Every relation built with its columns and no rows, from empty raw tables."""
    home = tmp_path_factory.mktemp("home")
    target = tmp_path_factory.mktemp("target")
    (home / "landing").mkdir()
    for entity in ENTITIES:  # empty raw tables, as after a first load of an empty landing folder
        load_entity(home / "warehouse.duckdb", home / "landing", entity)
    built = _dbt(["build", "--empty", "--exclude-resource-type", "unit_test", "test"], home, target)
    assert built.returncode == 0, built.stdout[-4000:]
    return home, target


def test_every_dbt_unit_test_passes(empty_build: tuple[Path, Path]) -> None:
    home, target = empty_build
    tested = _dbt(["test", "--select", "test_type:unit"], home, target)
    results = [  # the project's on-run-start hook runs too
        r
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["unique_id"].startswith("unit_test.")
    ]
    failed = [r["unique_id"] for r in results if r["status"] != "pass"]
    assert tested.returncode == 0 and not failed, f"{failed}\n{tested.stdout[-6000:]}"
    assert len(results) >= 12, "unit tests went missing"


def test_dbt_docs_generate_documents_the_public_tables_and_exposures(
    empty_build: tuple[Path, Path],
) -> None:
    home, target = empty_build
    generated = _dbt(["docs", "generate"], home, target)
    assert generated.returncode == 0, generated.stdout[-4000:]
    assert (target / "index.html").exists()
    catalog = json.loads((target / "catalog.json").read_text())
    documented = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert {"dim_contacts", "fct_funnel_transitions", "rpt_stage_conversion"} <= documented
    manifest = json.loads((target / "manifest.json").read_text())
    assert any(e["name"] == "leadership_report" for e in manifest["exposures"].values())
