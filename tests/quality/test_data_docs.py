"""The Data Docs a suite run leaves: its own pages rendered, the pages of earlier runs kept as they
are (rendering every kept result again made each run slower than the one before)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.quality.gx_runner import render_data_docs, validate_suites
from orchestration.quality.suites import Suite

SUITE = Suite(
    path=Path("raw.things.json"),
    definition={
        "name": "raw.things",
        "meta": {"table": "raw.things"},
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "thing_id"}}
        ],
    },
)


def _validate(home: Path, run_name: str) -> None:
    [outcome] = validate_suites(
        home / "warehouse.duckdb",
        [SUITE],
        as_of=date(2026, 6, 30),
        gx_root=home,
        docs_dir=home / "data_docs",
        run_name=run_name,
    )
    assert not outcome.failed


def _result_pages(home: Path) -> dict[str, float]:
    pages = (home / "data_docs" / "validations").rglob("*.html")
    # validations/<suite name as folders>/<run name>/<run time>/<batch>.html
    return {page.parent.parent.name: page.stat().st_mtime_ns for page in pages}


def test_a_run_renders_its_own_pages_and_keeps_the_earlier_ones(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute("create schema raw; create table raw.things as select 1 as thing_id")
    _validate(tmp_path, "first")
    first = _result_pages(tmp_path)
    _validate(tmp_path, "second")
    both = _result_pages(tmp_path)
    assert set(first) == {"first"} and set(both) == {"first", "second"}
    assert both["first"] == first["first"], "the first run's page was rendered again"
    index = (tmp_path / "data_docs" / "index.html").read_text()
    assert "first" in index and "second" in index


def test_docs_rendered_after_the_validation_show_that_run(tmp_path: Path) -> None:
    """`funnel run` validates first and renders the Data Docs later (in the worker, while the
    run goes on): the later rendering finds the run's results by its name and time."""
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute("create schema raw; create table raw.things as select 1 as thing_id")
    run_time = datetime.now(UTC)
    common = {"gx_root": tmp_path, "docs_dir": tmp_path / "data_docs", "run_name": "later"}
    validate_suites(
        tmp_path / "warehouse.duckdb",
        [SUITE],
        as_of=date(2026, 6, 30),
        run_time=run_time,
        build_docs=False,
        **common,
    )
    assert _result_pages(tmp_path) == {}
    render_data_docs(suites=[SUITE], run_time=run_time, **common)
    assert set(_result_pages(tmp_path)) == {"later"}
    assert "later" in (tmp_path / "data_docs" / "index.html").read_text()
