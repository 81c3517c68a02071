"""End to end: BI readers query serving.duckdb in a loop while `funnel run` publishes twice.

Each reader is its own process, as a BI tool or a notebook would be. One opens the published
file read-only again and again and checks in each connection that what it sees is one complete
publication; the other runs docs/serving.md's notebook recipe (pandas + SQLAlchemy) as written
and keeps querying through its engine, which must see the new publication. The pipeline must
never fail on their account, and they must never see an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.report import REPORT_FILENAME
from orchestration.synthetic import generate

pytestmark = pytest.mark.e2e

FUNNEL = str(Path(sys.executable).parent / "funnel")
READER = Path(__file__).with_name("serving_reader.py")
RECIPE_READER = Path(__file__).with_name("recipe_reader.py")
SERVING_DOCS = Path(__file__).parents[2] / "docs" / "serving.md"
# the second run is as of a later day: publication only moves forward
FIRST_AS_OF, SECOND_AS_OF = date(2026, 6, 30), date(2026, 7, 1)


@dataclass
class Runs:
    home: Path
    results: list[subprocess.CompletedProcess]
    reader: dict
    recipe_reader: dict

    @property
    def serving(self) -> Path:
        return self.home / "serving.duckdb"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    home = tmp_path_factory.mktemp("funnel_home")
    generate(home / "landing", contacts=300, seed=3, end_date=FIRST_AS_OF, progress=False)
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    out, recipe_out, stop = home / "reader.json", home / "recipe.json", home / "reader.stop"
    bounds = ["--seconds", "600", "--max-reads", "200000", "--stop-file", str(stop)]
    serving = str(home / "serving.duckdb")
    readers = [
        subprocess.Popen([sys.executable, str(READER), serving, str(out), *bounds]),
        subprocess.Popen(
            [
                sys.executable,
                str(RECIPE_READER),
                str(SERVING_DOCS),
                serving,
                str(recipe_out),
                *bounds,
            ]
        ),
    ]
    results = []
    try:
        for as_of, lang in ((FIRST_AS_OF, "en"), (SECOND_AS_OF, "fr")):
            results.append(
                subprocess.run(
                    [FUNNEL, "run", "--as-of", as_of.isoformat(), "--lang", lang],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
            )
            time.sleep(1)  # let the reader read the new publication
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=120)
    return Runs(home, results, json.loads(out.read_text()), json.loads(recipe_out.read_text()))


def test_both_runs_succeed_and_print_where_the_outputs_are(runs: Runs) -> None:
    for result in runs.results:
        assert result.returncode == 0, result.stderr[-3000:]
        assert f"published for BI    {runs.serving}" in result.stdout
        assert f"leadership report   {runs.home / 'reports' / REPORT_FILENAME}" in result.stdout


def test_the_reader_saw_no_error_and_only_complete_publications(runs: Runs) -> None:
    seen = runs.reader
    assert seen["error_count"] == 0, seen["errors"]
    assert seen["incomplete"] == []
    assert seen["reads"] >= 20
    assert len(seen["versions"]) == 2, seen["versions"]  # one per run, each seen whole


def test_the_documented_notebook_recipe_sees_the_new_publication(runs: Runs) -> None:
    seen = runs.recipe_reader
    assert seen["error_count"] == 0, seen["errors"]
    assert seen["reads"] >= 20
    # one engine for the whole session, as a notebook keeps it: it must follow the publications
    assert seen["as_of_days"] == [str(FIRST_AS_OF), str(SECOND_AS_OF)], seen


def test_the_last_publication_is_the_last_run(runs: Runs) -> None:
    with duckdb.connect(str(runs.serving), read_only=True) as connection:
        as_of = connection.execute("select max(as_of_date) from marts.dim_contacts").fetchone()[0]
        tables = {
            row[0]
            for row in connection.execute("select table_name from main.published_tables").fetchall()
        }
    assert as_of == SECOND_AS_OF
    assert {"dim_contacts", "dim_companies", "fct_funnel_daily", "rpt_stage_conversion"} <= tables
    report = (runs.home / "reports" / REPORT_FILENAME).read_text(encoding="utf-8")
    assert '<html lang="fr">' in report
    assert f'<meta name="report-as-of" content="{SECOND_AS_OF}">' in report


def test_the_serving_file_holds_no_email_phone_or_name(runs: Runs) -> None:
    warehouse = runs.home / "warehouse.duckdb"
    with duckdb.connect(str(runs.serving), read_only=True) as connection:
        connection.execute(f"attach '{warehouse}' as warehouse (read_only)")
        connection.execute(
            """
            create temp table personal as
            select distinct value from (
                select unnest([email, phone, linkedin_url, first_name || ' ' || last_name,
                    last_name]) as value
                from warehouse.marts.dim_contacts
            )
            where value is not null and length(value) > 3
            """
        )
        assert connection.execute("select count(*) from personal").fetchone()[0] > 100
        columns = connection.execute(
            "select schema_name, table_name, column_name, data_type from duckdb_columns()"
            " where database_name = 'serving'"
        ).fetchall()
        identifiers = {"email", "first_name", "last_name", "phone", "linkedin_url"}
        assert not {c[2] for c in columns} & identifiers
        found = {}
        for schema, table, column, data_type in columns:
            if data_type != "VARCHAR":
                continue
            source = f'serving.{schema}."{table}"'
            hits = connection.execute(
                f"""
                select count(*) from {source}
                where "{column}" in (select value from personal)
                    or regexp_matches("{column}", '[^@\\s]+@[^@\\s]+\\.[a-z]{{2,}}')
                """
            ).fetchone()[0]
            if hits:
                found[f"{schema}.{table}.{column}"] = hits
    assert found == {}, f"personal data in the serving file: {found}"
