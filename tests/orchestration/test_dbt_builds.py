"""When the dbt build rebuilds every incremental model: the decision and its record."""

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_builds import (
    BUILDS_TABLE,
    full_refresh_reason,
    project_fingerprint,
    record_build,
)
from orchestration.loading.tables import FORGOTTEN_TABLE, ensure_load_tables

BUILT_AT = datetime(2026, 6, 30, 6, 0)
MARTS_YML = """\
models:
  - name: dim
    description: One row per id.
    config:
      materialized: table
    columns:
      - name: id
        description: The id.
        data_type: integer
        data_tests: [not_null]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "models" / "marts").mkdir(parents=True)
    (root / "models" / "marts" / "dim.sql").write_text("select 1 as id\n")
    (root / "models" / "marts" / "_marts.yml").write_text(MARTS_YML)
    (root / "macros").mkdir()
    (root / "seeds").mkdir()
    (root / "seeds" / "points.csv").write_text("event_type,points\nform,10\n")
    (root / "dbt_project.yml").write_text("vars:\n  mql_score: 60\n")
    (root / "tests" / "dbt").mkdir(parents=True)
    return root


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "home" / "warehouse.duckdb"
    path.parent.mkdir()
    duckdb.connect(str(path)).close()
    return path


@pytest.mark.parametrize(
    "edit",
    [
        lambda root: (root / "models" / "marts" / "dim.sql").write_text("select 2 as id\n"),
        lambda root: (root / "models" / "marts" / "new.sql").write_text("select 1 as id\n"),
        lambda root: (root / "seeds" / "points.csv").write_text("event_type,points\nform,20\n"),
        lambda root: (root / "dbt_project.yml").write_text("vars:\n  mql_score: 70\n"),
        lambda root: (root / "macros" / "m.sql").write_text("{% macro m() %}1{% endmacro %}\n"),
        lambda root: (root / "models" / "marts" / "_marts.yml").write_text(
            MARTS_YML.replace("materialized: table", "materialized: incremental")
        ),
        lambda root: (root / "models" / "marts" / "_marts.yml").write_text(
            MARTS_YML.replace("data_type: integer", "data_type: bigint")
        ),
    ],
    ids=["a model's SQL", "a new model", "a seed", "a var", "a macro", "a config", "a type"],
)
def test_the_project_fingerprint_changes_with_what_the_rows_are_computed_from(project, edit):
    before = project_fingerprint(project)
    edit(project)
    assert project_fingerprint(project) != before


def test_the_project_fingerprint_ignores_the_data_tests(project):
    before = project_fingerprint(project)
    (project / "tests" / "dbt" / "a_test.sql").write_text("select 1 where false\n")
    assert project_fingerprint(project) == before


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text.replace("data_tests: [not_null]", "data_tests: [not_null, unique]"),
        lambda text: text.replace("One row per id.", "One row per id, as of the day."),
        lambda text: (
            text
            + "unit_tests:\n  - name: t\n    model: dim\n    given: []\n    expect: {rows: []}\n"
        ),
        lambda text: text + "exposures:\n  - name: report\n    type: dashboard\n",
    ],
    ids=["a data test", "a description", "a unit test", "an exposure"],
)
def test_the_project_fingerprint_ignores_what_checks_or_documents_the_rows(project, edit):
    """Editing a test or a description must not rebuild a warehouse in full."""
    before = project_fingerprint(project)
    properties = project / "models" / "marts" / "_marts.yml"
    properties.write_text(edit(properties.read_text()))
    (project / "models" / "marts" / "overview.md").write_text("{% docs overview %}x{% enddocs %}")
    assert project_fingerprint(project) == before


def test_a_new_warehouse_or_one_without_a_recorded_build_is_built_in_full(tmp_path, warehouse):
    assert full_refresh_reason(tmp_path / "none" / "warehouse.duckdb", "f") == "a new warehouse"
    assert full_refresh_reason(warehouse, "f") == "no earlier build is recorded in the warehouse"


def test_the_same_project_after_a_recorded_build_is_built_incrementally(warehouse):
    record_build(warehouse, BUILT_AT, "2026-06-30", "f", "a new warehouse")
    record_build(warehouse, BUILT_AT + timedelta(days=1), "2026-07-01", "f", None)
    assert full_refresh_reason(warehouse, "f") is None
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(f"select * from {BUILDS_TABLE} order by started_at").fetchall()
    assert [r[3] for r in rows] == ["a new warehouse", None]


def test_a_changed_project_is_built_in_full(warehouse):
    record_build(warehouse, BUILT_AT, "2026-06-30", "before", None)
    assert "the dbt project" in full_refresh_reason(warehouse, "after")


def test_a_delivery_forgotten_since_the_last_build_makes_it_full(warehouse):
    record_build(warehouse, BUILT_AT, "2026-06-30", "f", None)
    with duckdb.connect(str(warehouse)) as connection:
        ensure_load_tables(connection)
        forget = f"insert into {FORGOTTEN_TABLE} values ('l', 'contacts', 'x.csv', 1, 0, ?)"
        connection.execute(forget, [BUILT_AT - timedelta(hours=1)])
    assert full_refresh_reason(warehouse, "f") is None  # forgotten before the build: it saw it
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(forget, [BUILT_AT + timedelta(hours=1)])
    assert full_refresh_reason(warehouse, "f") == "a delivery was forgotten since the last build"


def test_a_build_after_one_on_spark_is_built_in_full(warehouse):
    record_build(warehouse, BUILT_AT, "2026-06-30", "f", None)
    record_build(warehouse, BUILT_AT + timedelta(days=1), "2026-07-01", "spark:f", None)
    assert "ran on Spark" in full_refresh_reason(warehouse, "f")
    record_build(warehouse, BUILT_AT + timedelta(days=2), "2026-07-02", "f", None)
    assert full_refresh_reason(warehouse, "f") is None
