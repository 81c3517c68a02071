"""`funnel export-person`, the right of access, on the shared pipeline run.

The export must hold every row of the warehouse that holds the person, and only those. The test
finds them its own way: in every raw table and contact-grain mart, the rows where any text
column is one of the person's ids or emails (normalised as the models normalise emails), and in
the quarantine the lines whose text contains one.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from pipeline_run import FUNNEL, Run

pytestmark = pytest.mark.e2e

TABLES = (
    "raw.contacts",
    "raw.engagement_events",
    "raw.sales_activities",
    "raw.opportunities",
    "marts.dim_contacts",
    "marts.fct_funnel_transitions",
    "marts.fct_contact_score_components",
    "marts.fct_engagement_events",
)


def export(run: Run, out: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FUNNEL_HOME": str(run.home)}
    return subprocess.run(
        [FUNNEL, "export-person", "--out", str(out), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def exported(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    [json_path] = [line.split()[-1] for line in lines if "for machines" in line]
    return json.loads(Path(json_path).read_text(encoding="utf-8"))


def canonical(row: dict) -> str:
    """A row as JSON text, dates in ISO form and decimals as text, as an export writes them."""

    def plain(value):
        if isinstance(value, datetime | date):
            return value.isoformat()
        return str(value) if isinstance(value, Decimal) else value

    return json.dumps({k: plain(v) for k, v in row.items()}, sort_keys=True)


def rows_holding(run: Run, ids: list[str], emails: list[str]) -> dict[str, set[str]]:
    """Per table, the rows where a text column is one of the identifiers (the quarantine: the
    lines whose text contains one)."""
    found = {}
    with duckdb.connect(str(run.home / "warehouse.duckdb"), read_only=True) as connection:
        for table in TABLES:
            schema, name = table.split(".")
            text_columns = [
                row[0]
                for row in connection.execute(
                    "select column_name from duckdb_columns() where schema_name = ?"
                    " and table_name = ? and data_type = 'VARCHAR'",
                    [schema, name],
                ).fetchall()
            ]
            matches = " or ".join(
                f"nfc_normalize(lower(trim({column}))) in (select * from unnest($emails))"
                f" or {column} in (select * from unnest($ids))"
                for column in text_columns
            )
            cursor = connection.execute(
                f"select * from {table} where {matches}", {"ids": ids, "emails": emails}
            )
            columns = [d[0] for d in cursor.description]
            found[table] = {
                canonical(dict(zip(columns, row, strict=True))) for row in cursor.fetchall()
            }
        found["raw._quarantine"] = {
            row[0]
            for row in connection.execute(
                "select raw_record from raw._quarantine"
                " where exists (select 1 from unnest($needles) n(needle)"
                " where contains(lower(raw_record), lower(needle)))",
                {"needles": ids + emails},
            ).fetchall()
        }
    return found


def rows_exported(document: dict) -> dict[str, set[str]]:
    """The export's rows, in the same form as rows_holding's."""
    tables = document["tables"]
    found = {table: {json.dumps(row, sort_keys=True) for row in tables[table]} for table in TABLES}
    found["raw._quarantine"] = {row["raw_record"] for row in tables["raw._quarantine"]}
    return found


@pytest.fixture(scope="module")
def people(run: Run) -> dict[str, str]:
    """People who make the export work: merged records with events and activities, and one
    whose contact line was refused at load."""
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    merged = run.scalar(
        """
        select any_value(c.email order by c.engagement_event_count desc)
        from marts.dim_contacts c
        where c.source_record_count > 1 and c.email is not null
        """
    )
    with_activities = run.scalar(
        """
        select any_value(c.contact_id order by c.contact_id)
        from marts.dim_contacts c
        join raw.sales_activities a using (contact_id)
        """
    )
    quarantined = run.scalar(
        """
        select any_value(raw_record ->> 'email' order by line_number) from raw._quarantine
        where entity = 'contacts' and json_valid(raw_record) and raw_record ->> 'email' <> ''
        """
    )
    assert merged and with_activities and quarantined
    return {"merged": merged, "with_activities": with_activities, "quarantined": quarantined}


@pytest.mark.parametrize(
    ("person", "option"),
    [
        ("merged", "--email"),
        ("with_activities", "--contact-id"),
        ("quarantined", "--email"),
    ],
)
def test_the_export_holds_every_row_that_holds_the_person_and_no_other(
    run: Run, people: dict[str, str], tmp_path: Path, person: str, option: str
) -> None:
    asked = people[person]
    # as a request comes: an email in any case, spaces around
    spelled = f"  {asked.upper() if option == '--email' else asked}  "
    document = exported(export(run, tmp_path, option, spelled))
    ids, emails = document["person"]["contact_ids"], document["person"]["emails"]
    assert asked.lower() in emails or asked in ids
    expected, got = rows_holding(run, ids, emails), rows_exported(document)
    assert got == expected
    assert sum(len(rows) for rows in expected.values()) > 0


@pytest.mark.parametrize("person", ["merged", "quarantined"])
def test_the_person_is_every_record_sharing_an_id_or_an_email(
    run: Run, people: dict[str, str], tmp_path: Path, person: str
) -> None:
    """Contact records, loaded or refused at load, that share an id or an email with the person
    are the person's."""
    document = exported(export(run, tmp_path, "--email", people[person]))
    ids, emails = document["person"]["contact_ids"], document["person"]["emails"]
    assert ids  # even a person whose only contact line was refused has an id: the line's
    if person == "merged":
        assert len(ids) > 1
    closure = run.query(
        f"""
        with records as (
            select contact_id, email from raw.contacts
            union all
            select raw_record ->> 'contact_id', raw_record ->> 'email' from raw._quarantine
            where entity = 'contacts' and json_valid(raw_record)
        )
        select distinct contact_id, nfc_normalize(lower(trim(email))) from records
        where contact_id in ({", ".join(f"'{i}'" for i in ids)})
           or nfc_normalize(lower(trim(email))) in ({", ".join(f"'{e}'" for e in emails)})
        """
    )
    assert {i for i, _ in closure} == set(ids)
    assert {e for _, e in closure if e} == set(emails)


def test_the_markdown_names_the_sources_and_the_files(
    run: Run, people: dict[str, str], tmp_path: Path
) -> None:
    result = export(run, tmp_path, "--email", people["merged"])
    document = exported(result)
    [markdown] = tmp_path.glob("*.md")
    text = markdown.read_text(encoding="utf-8")
    assert document["origin"]["lead_sources"]
    for source in document["origin"]["lead_sources"]:
        assert source in text
    for file in document["origin"]["files"]:
        assert file["file_name"] in text
    assert people["merged"].lower() not in markdown.name.lower()  # file names say nothing


def test_an_unknown_person_is_a_clear_error_and_writes_nothing(run: Run, tmp_path: Path) -> None:
    result = export(run, tmp_path, "--email", "nobody@example.invalid")
    assert result.returncode == 2
    assert "no row of" in result.stderr and "nobody@example.invalid" in result.stderr
    assert list(tmp_path.iterdir()) == []
