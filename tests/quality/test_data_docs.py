"""The Data Docs a suite run leaves: its own pages rendered, the pages of earlier runs kept as they
are (rendering every kept result again made each run slower than the one before), and every page
opening offline: styles, scripts, fonts and images are files of the site, nothing comes from the
network."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from chromium import chromium
from data_docs_pages import open_page, remote_resources, results_gx_stored

from orchestration.quality.data_docs_site import VENDOR_DIR
from orchestration.quality.gx_runner import DOCS_SITE, render_data_docs, validate_suites
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


FAILING = Suite(
    path=Path("raw.others.json"),
    definition={
        "name": "raw.others",
        "meta": {"table": "raw.others"},
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "other_id"}},
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "size", "min_value": 0, "max_value": 10},
                "meta": {"severity": "warning"},
            },
        ],
    },
)


def _warehouse(home: Path) -> None:
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute(
            """
            create schema raw;
            create table raw.things as select 1 as thing_id;
            create table raw.others as select * from (values (1, 5), (2, 50)) as t(other_id, size);
            """
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose Data Docs hold two runs of two suites, one of which fails an expectation."""
    home = tmp_path_factory.mktemp("offline_docs")
    _warehouse(home)
    for run_name in ("first", "second"):
        validate_suites(
            home / "warehouse.duckdb",
            [SUITE, FAILING],
            as_of=date(2026, 6, 30),
            gx_root=home,
            docs_dir=home / "data_docs",
            run_name=run_name,
        )
    return home


def _pages(docs: Path) -> list[Path]:
    return sorted(docs.rglob("*.html"))


def test_no_page_loads_anything_from_the_network(site: Path) -> None:
    """A page that names an http(s) stylesheet, script or image (a CDN a new great-expectations
    adds, a logo) fails here: every resource is a file of the site."""
    pages = _pages(site / "data_docs")
    kinds = {page.relative_to(site / "data_docs").parts[0] for page in pages}
    assert kinds == {"index.html", "expectations", "validations"}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert remote_resources(html) == [], page
        # the logo that reported the project's id, the newsletter form
        assert "dataContextId" not in html and "newsletter" not in html.lower(), page


def test_every_page_opens_offline_with_its_styles_and_marks(site: Path, tmp_path: Path) -> None:
    docs = site / "data_docs"
    ran = results_gx_stored(site)
    assert {(r.suite, r.run_name, r.success) for r in ran} == {
        ("raw.things", "first", True),
        ("raw.others", "first", False),
        ("raw.things", "second", True),
        ("raw.others", "second", False),
    }
    with chromium(tmp_path / "profile") as browser:
        index = open_page(browser, docs / "index.html", tmp_path / "index.png")
        others = [p for p in _pages(docs) if p.name != "index.html"]
        opened = {
            page: open_page(browser, page, tmp_path / f"page-{number}.png")
            for number, page in enumerate(others)
        }
    assert index.problems == [] and index.styled
    # the list of results, drawn by bootstrap-table: one row per suite and run, with its mark
    rows = {(row.suite, row.run_name, row.mark) for row in index.rows}
    marks = {True: "passed", False: "failed"}
    assert rows == {(r.suite, r.run_name, marks[r.success]) for r in ran}
    assert all(row.mark_drawn for row in index.rows)
    assert (tmp_path / "index.png").stat().st_size > 20_000
    for page, seen in opened.items():
        assert seen.problems == [], page
        assert seen.styled, page
        if "validations" in page.parts:
            wanted = "failed" if "others" in page.parts else "passed"
            assert seen.marks[wanted] > 0, (page, seen.marks)


def test_a_home_with_the_former_site_gets_offline_data_docs(tmp_path: Path) -> None:
    """A home whose Data Docs were built by GX's own site (loading from CDNs) is switched to the
    offline site by its next run, which renders the earlier runs' pages again too."""
    import great_expectations as gx

    _warehouse(tmp_path)
    docs = tmp_path / "data_docs"
    common = {"as_of": date(2026, 6, 30), "gx_root": tmp_path, "docs_dir": docs}
    validate_suites(
        tmp_path / "warehouse.duckdb", [SUITE], run_name="before", build_docs=False, **common
    )
    context = gx.get_context(mode="file", project_root_dir=str(tmp_path))
    context.delete_data_docs_site(DOCS_SITE)
    context.add_data_docs_site(
        site_name=DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    context.build_data_docs(site_names=[DOCS_SITE])
    assert set(_result_pages(tmp_path)) == {"before"}
    assert all(remote_resources(page.read_text(encoding="utf-8")) for page in _pages(docs))
    validate_suites(tmp_path / "warehouse.duckdb", [SUITE], run_name="after", **common)
    assert set(_result_pages(tmp_path)) == {"before", "after"}
    for page in _pages(docs):
        assert remote_resources(page.read_text(encoding="utf-8")) == [], page


def test_each_vendored_library_has_its_license_and_version_noted() -> None:
    readme = (VENDOR_DIR / "README.md").read_text(encoding="utf-8")
    libraries = sorted(folder for folder in VENDOR_DIR.iterdir() if folder.is_dir())
    assert len(libraries) >= 10
    for folder in libraries:
        assert (folder / "LICENSE").is_file(), folder
        assert f"`{folder.name}/`" in readme, folder.name
