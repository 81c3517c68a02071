"""The quality checks inside `funnel run`: a clean base passes them all; a blocking failure stops
the run before publication, exits non-zero and says which check failed and how to see the rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from chromium import chromium
from dagster import AssetKey, DagsterEventType, DagsterInstance
from data_docs_pages import open_page, remote_resources, results_gx_stored
from quality_base import CleanBase

from orchestration.quality.suites import CHECK_NAME, load_suites

pytestmark = pytest.mark.e2e


def _check_evaluations(home: Path, first_run: bool = True) -> dict[str, object]:
    """The check evaluations of the base's first (or latest) run, by `asset:check`."""
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs()
        run = runs[-1] if first_run else runs[0]
        records = instance.get_records_for_run(
            run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
        ).records
        return {
            f"{e.asset_key.to_user_string()}:{e.check_name}": e
            for record in records
            for e in [record.event_log_entry.dagster_event.event_specific_data]
        }


def test_a_clean_base_passes_every_check(clean_base: CleanBase) -> None:
    evaluations = _check_evaluations(clean_base.home)
    suites = load_suites()
    for suite in suites:
        assert f"{suite.asset_key.to_user_string()}:{CHECK_NAME}" in evaluations, suite.name
    failed = {
        key: (e.description, e.metadata.get("failures"))
        for key, e in evaluations.items()
        if not e.passed
    }
    assert not failed
    # dbt tests are checks too, and there are many more of them than suites
    assert len(evaluations) > 2 * len(suites)


def test_data_docs_and_the_scorecard_are_built(clean_base: CleanBase) -> None:
    index = clean_base.home / "reports" / "data_docs" / "index.html"
    assert index.exists()
    html = index.read_text()
    assert "marts.dim_contacts" in html and "raw.contacts" in html
    with duckdb.connect(str(clean_base.pristine), read_only=True) as connection:
        rows = connection.execute(
            """
            select dimension, count(*), min(pass_rate), max(pass_rate)
            from marts.rpt_b2b_base_quality where record_source = 'all' group by dimension
            """
        ).fetchall()
    dimensions = {row[0] for row in rows}
    assert dimensions == {
        "completeness",
        "validity",
        "uniqueness",
        "freshness",
        "matching",
        "retention",
        "quarantine",
    }
    assert all(0 <= row[2] <= row[3] <= 1 for row in rows)


def test_the_runs_data_docs_open_offline_listing_every_suite(
    clean_base: CleanBase, tmp_path: Path
) -> None:
    """The Data Docs of a real run, opened in Chromium with the network cut off: styled, the list
    of results drawn with every suite GX ran and its mark, a result page and a suite page too."""
    docs = clean_base.home / "reports" / "data_docs"
    ran = results_gx_stored(clean_base.home)
    assert {r.suite for r in ran} == {suite.name for suite in load_suites()}
    for page in docs.rglob("*.html"):
        assert remote_resources(page.read_text(encoding="utf-8")) == [], page
    with chromium(tmp_path / "profile") as browser:
        index = open_page(browser, docs / "index.html", tmp_path / "index.png")
        result_page = docs / index.rows[0].href
        result = open_page(browser, result_page, tmp_path / "result.png")
        suite_page = next((docs / "expectations").rglob("*.html"))
        suite = open_page(browser, suite_page, tmp_path / "suite.png")
    assert index.problems == [] and index.styled
    rows = {(row.suite, row.run_name, row.mark) for row in index.rows}
    assert rows == {(r.suite, r.run_name, "passed" if r.success else "failed") for r in ran}
    assert all(row.mark_drawn for row in index.rows)
    assert result.problems == [] and result.styled and result.marks["passed"] > 0
    assert suite.problems == [] and suite.styled


def _publish_asset_defined() -> bool:
    from orchestration.defs.definitions import defs

    return AssetKey(["serving", "published"]) in defs().resolve_asset_graph().get_all_asset_keys()


@pytest.fixture(scope="module")
def collapsed(clean_base: CleanBase, tmp_path_factory: pytest.TempPathFactory) -> CleanBase:
    """A copy of the clean base whose contacts were lost (the export gone from landing, the raw
    rows deleted outside `funnel forget`), run again. The shared clean base is left as it was."""
    home = tmp_path_factory.mktemp("collapsed") / "home"
    shutil.copytree(clean_base.home, home)
    base = CleanBase(home, clean_base.pristine, None, clean_base.serving_bytes)  # type: ignore[arg-type]
    landing = home / "landing" / "contacts"
    shutil.move(landing, home / "contacts_moved_away")
    landing.mkdir()
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        assert connection.execute("delete from raw.contacts").fetchone()[0] > 0
    base.result = base.run()
    return base


def test_a_blocking_failure_fails_the_run_and_names_the_check(collapsed: CleanBase) -> None:
    assert collapsed.result.returncode != 0
    stderr = collapsed.result.stderr
    assert "raw/contacts:gx_expectations (blocking)" in stderr, stderr[-3000:]
    assert "select count(*) as row_count from raw.contacts" in stderr
    assert "FUNNEL_QUALITY_ACCEPT_ROW_COUNTS=1" in stderr
    evaluations = _check_evaluations(collapsed.home, first_run=False)
    failed = evaluations["raw/contacts:gx_expectations"]
    assert not failed.passed
    assert failed.metadata["row_count"].value == 0
    assert failed.metadata["row_count_baseline"].value > 0
    # nothing downstream ran: no model check was evaluated
    assert not any(key.startswith(("staging/", "marts/")) for key in evaluations)


@pytest.mark.skipif(
    not _publish_asset_defined(), reason="the publish asset serving/published is not defined yet"
)
def test_a_blocking_failure_leaves_the_published_database_untouched(collapsed: CleanBase) -> None:
    assert collapsed.result.returncode != 0
    assert collapsed.serving_bytes is not None, "the clean run published nothing"
    assert (collapsed.home / "serving.duckdb").read_bytes() == collapsed.serving_bytes
