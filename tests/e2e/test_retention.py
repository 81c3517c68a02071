"""Retention, end to end: the contacts kept past the policy's period are listed, counted and
erased, and only they.

A generated base (its contacts all first known within the last two years) gets four people with
known dates, as of 2026-06-30 with the default 36 months:
- RET-FORM filled in a form on 2023-06-01, then only viewed pages, opened and clicked emails and
  received a sales email: its period ended on 2026-06-01 (none of that extends it);
- RET-NEVER was first known on 2023-05-01 and only opened emails since: ended 2026-05-01;
- RET-MEET filled in the same form, then met sales on 2024-01-02: kept until 2027-01-02;
- RET-REPLY replied to an email on 2024-09-01: kept until 2027-09-01.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from privacy_home import append_rows, files_holding, funnel, query

from orchestration.synthetic import generate

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 6, 30)
PAST = {"RET-FORM", "RET-NEVER"}
KEPT = {"RET-MEET", "RET-REPLY"}
PEOPLE = {
    # contact id: (first name, last name, created)
    "RET-FORM": ("Anatolie", "Vercoutre-Bréhat", "2022-01-10T09:00:00Z"),
    "RET-NEVER": ("Gwenaëlle", "Ostrowski-Lanvin", "2023-05-01T09:00:00Z"),
    "RET-MEET": ("Théodorine", "Quesnoy-Ardant", "2022-01-10T09:00:00Z"),
    "RET-REPLY": ("Barthélémy", "Moncorgé-Ysaël", "2022-01-10T09:00:00Z"),
}


def email_of(contact_id: str) -> str:
    _, last, _ = PEOPLE[contact_id]
    return f"{contact_id.lower()}.{last.lower()}@retention-test.fr"


def identifiers(contact_id: str) -> list[str]:
    first, last, _ = PEOPLE[contact_id]
    number = sum(map(ord, contact_id))
    return [
        contact_id,
        email_of(contact_id),
        first,
        last,
        f"+33 6 12 {number % 100:02d} {number // 100 % 100:02d} 77",
        f"https://www.linkedin.com/in/{contact_id.lower()}-{number}",
    ]


def add_people(landing: Path) -> None:
    [contacts] = (landing / "contacts").glob("*.csv")
    [events] = (landing / "engagement_events").glob("*.csv")
    [activities] = (landing / "sales_activities").glob("*.csv")
    rows = []
    for contact_id, (first, last, created) in PEOPLE.items():
        _, _, _, _, phone, linkedin = identifiers(contact_id)
        rows.append(
            {
                "contact_id": contact_id,
                "first_name": first,
                "last_name": last,
                "email": email_of(contact_id),
                "phone": phone,
                "job_title": "Directrice Achats",
                "seniority": "director",
                "department": "operations",
                "linkedin_url": linkedin,
                "country": "FR",
                "lead_source": "event",
                "opted_out": "false",
                "created_at": created,
                "updated_at": created,
            }
        )
    append_rows(contacts, rows)

    def event(n: int, contact_id: str, event_type: str, day: str) -> dict:
        return {
            "event_id": f"EVT-RET-{n}",
            "event_type": event_type,
            "occurred_at": f"{day}T10:00:00Z",
            "contact_id": contact_id,
        }

    append_rows(
        events,
        [
            event(1, "RET-FORM", "form_submitted", "2023-06-01"),
            event(2, "RET-FORM", "page_viewed", "2025-03-01"),
            event(3, "RET-FORM", "pricing_page_viewed", "2025-03-02"),
            event(4, "RET-FORM", "email_opened", "2025-04-01"),
            event(5, "RET-FORM", "email_clicked", "2026-06-20"),
            event(6, "RET-NEVER", "email_opened", "2025-01-01"),
            event(7, "RET-NEVER", "page_viewed", "2026-06-25"),
            event(8, "RET-MEET", "form_submitted", "2023-06-01"),
            event(9, "RET-REPLY", "email_replied", "2024-09-01"),
        ],
    )
    append_rows(
        activities,
        [
            {
                "activity_id": "ACT-RET-1",
                "contact_id": "RET-FORM",
                "activity_type": "email",
                "occurred_at": "2025-02-01T10:00:00Z",
                "outcome": "follow_up",
            },
            {
                "activity_id": "ACT-RET-2",
                "contact_id": "RET-MEET",
                "activity_type": "meeting",
                "occurred_at": "2024-01-02T10:00:00Z",
                "outcome": "follow_up",
            },
        ],
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("retention") / "home"
    generate(home / "landing", contacts=150, seed=31, end_date=AS_OF, bad_row_share=0.0)
    add_people(home / "landing")
    ran = funnel(home, "run", "--as-of", AS_OF.isoformat())
    assert "2 contact(s) are past the retention period" in ran.stdout
    return home


@pytest.fixture(scope="module")
def listed(home: Path) -> str:
    return funnel(home, "retention", "--dry-run").stdout


@pytest.fixture(scope="module")
def applied(home: Path, listed: str) -> dict:
    """The contacts past retention erased by the daily run itself, after the listing."""
    held_before = files_holding(home, [i for c in PAST for i in identifiers(c)])
    ran = funnel(home, "run", "--as-of", AS_OF.isoformat(), "--apply-retention")
    return {"held_before": held_before, "run": ran}


def test_the_dry_run_lists_exactly_the_contacts_past_retention_and_why(listed: str) -> None:
    ids = set(re.findall(r"^\s+(\S+)\s", listed, flags=re.MULTILINE))
    assert ids == PAST, listed
    assert "as of 2026-06-30" in listed and ": 2" in listed
    assert re.search(r"RET-FORM .* ended 2026-06-01 .*last interaction from them 2023-06", listed)
    assert re.search(r"RET-NEVER .* ended 2026-05-01 .*never interacted; first known 2023", listed)


def test_page_views_opens_and_sales_emails_do_not_extend_retention(home: Path, listed: str) -> None:
    rows = dict(
        (row[0], row[1:])
        for row in query(
            home,
            "select contact_id, last_interaction_at, retention_ends_at, not_contactable_reason"
            " from marts.dim_contacts where contact_id like 'RET-%'",
        )
    )
    assert rows == {
        "RET-FORM": (datetime(2023, 6, 1, 10), datetime(2026, 6, 1, 10), "past_retention"),
        "RET-NEVER": (None, datetime(2026, 5, 1, 9), "past_retention"),
        "RET-MEET": (datetime(2024, 1, 2, 10), datetime(2027, 1, 2, 10), None),
        "RET-REPLY": (datetime(2024, 9, 1, 10), datetime(2027, 9, 1, 10), None),
    }
    # the base's own contacts were all first known within two years: none is past
    assert query(
        home,
        "select count(*) from marts.dim_contacts where not_contactable_reason = 'past_retention'"
        " and contact_id not like 'RET-%'",
    ) == [(0,)]


def test_the_scorecard_counts_the_records_past_retention(home: Path, listed: str) -> None:
    assert query(
        home,
        "select dimension, failed_count from marts.rpt_b2b_base_quality"
        " where entity = 'contacts' and check_name = 'past_retention' and record_source = 'all'",
    ) == [("retention", 2)]


def test_the_run_erases_them_everywhere_and_keeps_the_others(home: Path, applied: dict) -> None:
    assert applied["held_before"]  # the scan sees them before
    assert "Retention: erased 2 contact(s)" in applied["run"].stdout
    assert files_holding(home, [i for c in PAST for i in identifiers(c)]) == {}
    kept = {row[0] for row in query(home, "select contact_id from raw.contacts")}
    assert kept >= KEPT and not PAST & kept
    assert files_holding(home, identifiers("RET-MEET"))  # the others' bytes are still there
    assert (
        "Contacts past the retention period as of 2026-06-30 (the last build"
        in funnel(home, "retention", "--dry-run").stdout
    )


def test_the_next_run_builds_without_them(home: Path, applied: dict) -> None:
    ran = funnel(home, "run", "--as-of", AS_OF.isoformat())
    assert "past the retention period" not in ran.stdout
    assert {
        row[0]
        for row in query(
            home, "select contact_id from marts.dim_contacts where contact_id like 'RET-%'"
        )
    } == KEPT
