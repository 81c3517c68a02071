"""`funnel forget --email`, the right to erasure, end to end.

A generated base is loaded, run, checked and published twice; one person is erased. Then no
file under FUNNEL_HOME holds any of their identifiers, in any byte (the test's own scan: any
case, UTF-8, UTF-16 and URL-encoded); the next run rebuilds everyone else's marts as they were;
and a later delivery of the original files does not bring the person back. Erasure is also
killed at random moments and run again: no identifier is left and the warehouse still runs.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from pipeline_run import FUNNEL
from privacy_home import append_rows, files_holding, funnel, query

from orchestration.synthetic import generate

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 6, 30)
# compared for everyone else before and after; built_at says when a row was written
PERSONAL_MARTS = {
    "dim_contacts": "contact_id",
    "fct_funnel_transitions": "contact_id, transition_number",
    "fct_engagement_events": "event_id",
    "fct_contact_score_components": "contact_id, score, component_id",
}


@dataclass
class Person:
    email: str
    contact_ids: list[str]
    identifiers: list[str]  # email(s), phone, names, LinkedIn URL, ids: none may remain


def others_marts(home: Path, contact_ids: list[str]) -> dict[str, list[tuple]]:
    marts = {}
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        for table, order in PERSONAL_MARTS.items():
            columns = [
                row[0]
                for row in connection.execute(
                    "select column_name from duckdb_columns() where schema_name = 'marts'"
                    " and table_name = ? and column_name <> 'built_at' order by column_index",
                    [table],
                ).fetchall()
            ]
            marts[table] = connection.execute(
                f"select {', '.join(columns)} from marts.{table}"
                " where contact_id not in (select unnest($ids)) order by " + order,
                {"ids": contact_ids},
            ).fetchall()
    return marts


# the person erased: names nobody else in a generated base has, two records merged by their
# email (spelled two ways), events by id and by email, and a contact line the load refuses
PERSON = Person(
    email="zephyrine.quintal-ardouin@techgen-logistique.fr",
    contact_ids=["CON-ERASE-1", "CON-ERASE-2"],
    identifiers=[
        "zephyrine.quintal-ardouin@techgen-logistique.fr",
        "Zéphyrine",
        "Quintal-Ardouin",
        "+33 6 71 48 29 03",
        "https://www.linkedin.com/in/zephyrine-quintal-ardouin-770412",
        # their ids too: pseudonymous, still theirs (events name them by id only)
        "CON-ERASE-1",
        "CON-ERASE-2",
        "CON-ERASE-3",
    ],
)


def add_person(landing: Path) -> None:
    """Append the person's records to the generated landing files, as a CRM export holds them."""
    [contacts] = (landing / "contacts").glob("*.csv")
    [events] = (landing / "engagement_events").glob("*.csv")
    record = {
        "first_name": "Zéphyrine",
        "last_name": "Quintal-Ardouin",
        "phone": "+33 6 71 48 29 03",
        "job_title": "Directrice Marketing",
        "seniority": "director",
        "department": "marketing",
        "linkedin_url": "https://www.linkedin.com/in/zephyrine-quintal-ardouin-770412",
        "country": "FR",
        "lead_source": "webinar",
        "opted_out": "false",
    }
    rows = [
        {
            **record,
            "contact_id": "CON-ERASE-1",
            "email": PERSON.email,
            "created_at": "2026-03-02T09:15:00Z",
            "updated_at": "2026-03-02T09:15:00Z",
        },
        {
            **record,
            "contact_id": "CON-ERASE-2",
            "email": PERSON.email.upper(),
            "created_at": "2026-04-11T14:02:00Z",
            "updated_at": "2026-05-20T08:40:00Z",
        },
        # refused at load (no such day): kept in the quarantine with its line
        {
            **record,
            "contact_id": "CON-ERASE-3",
            "email": PERSON.email,
            "created_at": "2026-02-30T10:00:00Z",
            "updated_at": "2026-02-30T10:00:00Z",
        },
    ]
    append_rows(contacts, rows)
    append_rows(
        events,
        [
            {
                "event_id": "EVT-ERASE-1",
                "event_type": "webinar_attended",
                "occurred_at": "2026-03-05T10:00:00Z",
                "contact_id": "CON-ERASE-1",
                "channel": "webinar",
            },
            {
                "event_id": "EVT-ERASE-2",
                "event_type": "form_submitted",
                "occurred_at": "2026-04-12T16:30:00Z",
                "contact_id": "CON-ERASE-2",
                "channel": "website",
                "url": "https://www.funnelia.io/demo",
            },
            {
                "event_id": "EVT-ERASE-3",
                "event_type": "email_clicked",
                "occurred_at": "2026-05-21T08:05:00Z",
                "email": PERSON.email,
                "channel": "email",
            },
        ],
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A base run twice (two days, so published and checked twice), kept pristine."""
    home = tmp_path_factory.mktemp("erasure") / "home"
    generate(home / "landing", contacts=400, seed=21, end_date=AS_OF, progress=False)
    add_person(home / "landing")
    funnel(home, "run", "--as-of", (AS_OF - timedelta(days=1)).isoformat())
    funnel(home, "run", "--as-of", AS_OF.isoformat())
    return home


@pytest.fixture(scope="module")
def erased(base: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The person erased from the base, and what the test saw before and after."""
    person = PERSON
    assert query(base, "select count(*) from raw._quarantine where raw_record like '%ERASE-3%'")[
        0
    ] == (1,)
    held = files_holding(base, person.identifiers)  # the scan finds them before, everywhere
    assert {"warehouse.duckdb", "landing/contacts", "landing/engagement_events"} <= {
        f if f.endswith(".duckdb") else f.rsplit("/", 1)[0] for f in held
    }
    original_landing = tmp_path_factory.mktemp("original") / "landing"
    shutil.copytree(base / "landing", original_landing)
    before = others_marts(base, person.contact_ids)
    result = funnel(base, "forget", "--email", person.email.upper(), "--yes")
    left = files_holding(base, person.identifiers)
    funnel(base, "run", "--as-of", AS_OF.isoformat())
    after = others_marts(base, person.contact_ids)
    left_after_run = files_holding(base, person.identifiers)
    return {
        "person": person,
        "result": result,
        "left": left,
        "left_after_run": left_after_run,
        "before": before,
        "after": after,
        "original_landing": original_landing,
    }


def test_no_file_of_the_home_holds_any_identifier_of_the_person(erased: dict) -> None:
    assert "Erased:" in erased["result"].stdout
    assert erased["left"] == {}
    assert erased["left_after_run"] == {}


def test_everyone_elses_marts_are_unchanged(erased: dict) -> None:
    for table in PERSONAL_MARTS:
        assert erased["after"][table] == erased["before"][table], table


def test_the_person_is_gone_from_the_marts_and_the_suppression_list_keeps_no_identifier(
    base: Path, erased: dict
) -> None:
    person = erased["person"]
    assert query(
        base, "select count(*) from marts.dim_contacts where contact_id like 'CON-ERASE-%'"
    ) == [(0,)]
    listed = (base / "privacy" / "suppression.csv").read_text()
    # the email's and the three contact ids' hashes (the base's opt-outs are listed too)
    assert sum(line.split(",")[1] == "erased" for line in listed.splitlines()[1:]) == 4
    assert not any(i.lower() in listed.lower() for i in person.identifiers)


def test_a_new_delivery_of_the_original_files_does_not_bring_the_person_back(
    base: Path, erased: dict
) -> None:
    person = erased["person"]
    for entity in ("contacts", "engagement_events"):
        for file in (erased["original_landing"] / entity).iterdir():
            shutil.copy(file, base / "landing" / entity / f"redelivered-{file.name}")
    funnel(base, "run", "--as-of", AS_OF.isoformat())
    assert query(
        base,
        "select count(*) from raw.contacts where contact_id like 'CON-ERASE-%' or lower(email) = ?",
        [person.email.lower()],
    ) == [(0,)]
    assert query(
        base, "select count(*) from marts.dim_contacts where contact_id like 'CON-ERASE-%'"
    ) == [(0,)]
    suppressed = query(
        base,
        "select entity, raw_record from raw._quarantine where reason_kind = 'suppressed'",
    )
    assert {entity for entity, _ in suppressed} == {"contacts", "engagement_events"}
    assert all(json.loads(record) == {} for _, record in suppressed)
    # the new delivery itself holds them (it is the vendor's file); nothing else does
    assert files_holding(base, person.identifiers, skip=base / "landing") == {}


def test_erasing_them_again_removes_them_from_the_new_delivery(base: Path, erased: dict) -> None:
    """After test_a_new_delivery...: the warehouse holds nothing of them (their rows were
    suppressed), the delivered files do; a second erasure rewrites those files."""
    person = erased["person"]
    assert files_holding(base, person.identifiers)
    result = funnel(base, "forget", "--email", person.email, "--yes")
    assert "2 landing file(s) rewritten" in result.stdout
    assert files_holding(base, person.identifiers) == {}
    funnel(base, "run", "--as-of", AS_OF.isoformat())  # and the home still runs


def test_an_erasure_killed_at_any_moment_finishes_when_run_again(
    base: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SIGKILL at random moments of `funnel forget`, then the command again: nothing of the
    person left and the warehouse whole (every table readable; a run completes after the last
    try). The base is restored in place between tries (a home holds absolute paths)."""
    fresh = tmp_path_factory.mktemp("erasure_killed") / "home"
    generate(fresh / "landing", contacts=200, seed=22, end_date=AS_OF, progress=False)
    add_person(fresh / "landing")
    funnel(fresh, "run", "--as-of", AS_OF.isoformat())
    person = PERSON
    pristine = fresh.parent / "pristine"
    shutil.copytree(fresh, pristine, symlinks=True)
    env = {**os.environ, "FUNNEL_HOME": str(fresh), "DAGSTER_HOME": str(fresh / "dagster")}
    started = time.monotonic()
    funnel(fresh, "forget", "--email", person.email, "--yes")
    duration = time.monotonic() - started
    rng = random.Random(15)
    for delay in sorted(rng.uniform(0.3, duration) for _ in range(3)):
        shutil.rmtree(fresh)
        shutil.copytree(pristine, fresh, symlinks=True)
        process = subprocess.Popen(
            [FUNNEL, "forget", "--email", person.email, "--yes"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        again = funnel(fresh, "forget", "--email", person.email, "--yes", check=False)
        assert again.returncode in (0, 2), again.stderr  # 2: the resume had finished it
        assert files_holding(fresh, person.identifiers) == {}, f"killed after {delay:.1f} s"
        with duckdb.connect(str(fresh / "warehouse.duckdb"), read_only=True) as connection:
            for schema, table in connection.execute(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall():
                connection.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
    funnel(fresh, "run", "--as-of", AS_OF.isoformat())
