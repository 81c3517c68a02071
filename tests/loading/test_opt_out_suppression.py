"""Opted-out people on the suppression list (orchestration/privacy/suppression.py): their hashes
listed by the load that finds them opted out, their later records loaded but recorded in
`raw._opted_out_contacts`, whatever those records say; only erased people are quarantined."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from loading_builders import EVENT_HEADER, Landing, csv_text

from orchestration.loading import load_entity
from orchestration.privacy.erasure import ErasureRequest, erase_from_warehouse
from orchestration.privacy.suppression import (
    CONTACT_ID,
    EMAIL,
    ERASED,
    OPTED_OUT,
    PRIVACY_FOLDER,
    Suppression,
)
from orchestration.settings import FunnelPaths

CONTACTS, EVENTS = "contacts", "engagement_events"
CONTACT_HEADER = ["contact_id", "email", "company_id", "opted_out"]
ANNE = "anne.martin@example.fr"


def _load(landing: Landing, entity: str = CONTACTS) -> None:
    load_entity(landing.warehouse, landing.dir, entity, min_age_seconds=0)


def _suppression(landing: Landing) -> Suppression:
    return Suppression(landing.warehouse.parent / PRIVACY_FOLDER)


def _listed(landing: Landing) -> list[tuple[str, str]]:
    """The list's (hash, reason) lines, in file order."""
    with _suppression(landing).list_path.open(newline="", encoding="utf-8") as stream:
        return [(row["hmac"], row["reason"]) for row in csv.DictReader(stream)]


def _opted_out_contacts(landing: Landing) -> list[str]:
    rows = landing.query("select contact_id from raw._opted_out_contacts order by 1")
    return [contact_id for (contact_id,) in rows]


def _loaded_ids(landing: Landing) -> list[str]:
    return [i for (i,) in landing.query("select contact_id from raw.contacts order by 1")]


def test_an_opted_out_contact_lists_its_email_and_id_hashes_once_and_its_id(
    landing: Landing,
) -> None:
    landing.write(
        CONTACTS,
        "a.csv",
        csv_text(CONTACT_HEADER, [[" c1 ", " Anne.Martin@Example.FR", "co1", "true"]])
        + "c2,bob@example.fr,co1,false\n",
    )
    _load(landing)

    suppression = _suppression(landing)
    expected = {suppression.hash(EMAIL, ANNE), suppression.hash(CONTACT_ID, "c1")}
    assert set(_listed(landing)) == {(h, OPTED_OUT) for h in expected}
    assert _opted_out_contacts(landing) == ["c1"]
    assert _loaded_ids(landing) == ["c1", "c2"]  # opted out, yet loaded: the funnel keeps them
    [(load_id, listed_at)] = landing.query("select load_id, listed_at from raw._opted_out_contacts")
    assert load_id and listed_at is not None

    # delivered again, opted out again: nothing listed or recorded twice
    landing.write(CONTACTS, "b.csv", csv_text(CONTACT_HEADER, [["c1", ANNE, "co1", "yes"]]))
    _load(landing)
    assert len(_listed(landing)) == 2
    assert _opted_out_contacts(landing) == ["c1"]


def test_a_later_record_of_an_opted_out_person_is_loaded_and_recorded_as_opted_out(
    landing: Landing,
) -> None:
    landing.write(CONTACTS, "a.csv", csv_text(CONTACT_HEADER, [["c1", ANNE, "co1", "true"]]))
    _load(landing)
    landing.write(
        CONTACTS,
        "b.csv",
        csv_text(
            CONTACT_HEADER,
            [
                ["c7", "  ANNE.martin@EXAMPLE.fr ", "co2", "false"],  # another id, the same email
                ["c1", "anne@elsewhere.fr", "co1", "false"],  # the same id, no longer opted out
                ["c8", "carl@example.fr", "co2", "false"],
            ],
        ),
    )
    _load(landing)

    assert _loaded_ids(landing) == ["c1", "c1", "c7", "c8"]
    assert landing.scalar("select count(*) from raw._quarantine") == 0
    assert _opted_out_contacts(landing) == ["c1", "c7"]
    assert {reason for _, reason in _listed(landing)} == {OPTED_OUT}


def test_a_record_in_the_same_file_as_the_opt_out_is_recorded_too(landing: Landing) -> None:
    landing.write(
        CONTACTS,
        "a.csv",
        csv_text(CONTACT_HEADER, [["c7", "Anne.Martin@example.fr", "co2", ""]])
        + f"c1,{ANNE},co1,true\n",
    )
    _load(landing)
    assert _opted_out_contacts(landing) == ["c1", "c7"]


def test_a_rebuilt_warehouse_still_knows_who_opted_out(landing: Landing) -> None:
    opted_out = landing.write(
        CONTACTS, "a.csv", csv_text(CONTACT_HEADER, [["c1", ANNE, "co1", "true"]])
    )
    _load(landing)
    opted_out.unlink()
    landing.warehouse.unlink()
    landing.write(
        CONTACTS,
        "b.csv",
        csv_text(CONTACT_HEADER, [["c9", ANNE, "co1", "false"], ["c1", "", "co1", "false"]]),
    )
    _load(landing)

    assert _loaded_ids(landing) == ["c1", "c9"]
    assert _opted_out_contacts(landing) == ["c1", "c9"]


def test_a_file_without_email_or_opted_out_columns_still_records_a_listed_id(
    landing: Landing,
) -> None:
    landing.write(CONTACTS, "a.csv", csv_text(CONTACT_HEADER, [["c1", ANNE, "co1", "true"]]))
    _load(landing)
    landing.write(CONTACTS, "b.csv", csv_text(["contact_id", "company_id"], [["c1", "co2"]]))
    landing.warehouse.unlink()
    (landing.dir / CONTACTS / "a.csv").unlink()
    _load(landing)

    assert _loaded_ids(landing) == ["c1"]
    assert _opted_out_contacts(landing) == ["c1"]


def test_only_erased_hashes_quarantine_and_opted_out_ones_load(landing: Landing) -> None:
    suppression = _suppression(landing)
    suppression.add({EMAIL: ["erased@example.fr"]}, ERASED)
    suppression.add({EMAIL: [ANNE]}, OPTED_OUT)
    landing.write(
        CONTACTS,
        "a.csv",
        csv_text(
            CONTACT_HEADER,
            [["c1", ANNE, "co1", "false"], ["c2", " Erased@Example.fr", "co1", "false"]],
        ),
    )
    landing.write(
        EVENTS,
        "e.csv",
        csv_text(
            EVENT_HEADER,
            [
                ["e1", "page_viewed", "2025-03-01T10:00:00Z", "", ANNE, "web"],
                ["e2", "page_viewed", "2025-03-01T10:00:00Z", "", "erased@example.fr", "web"],
                ["e3", "page_viewed", "2025-03-01T10:00:00Z", "c2", "", "web"],
            ],
        ),
    )
    _load(landing)
    _load(landing, EVENTS)

    assert _loaded_ids(landing) == ["c1"]
    # c2's id is not listed (its contact row went with its email): e3 loads
    assert landing.query("select event_id from raw.engagement_events order by 1") == [
        ("e1",),
        ("e3",),
    ]
    quarantined = landing.query(
        "select entity, line_number, reason_kind, raw_record from raw._quarantine order by 1, 2"
    )
    assert quarantined == [
        ("contacts", 3, "suppressed", "{}"),
        ("engagement_events", 3, "suppressed", "{}"),
    ]
    assert _opted_out_contacts(landing) == ["c1"]


def test_a_person_opted_out_then_erased_is_quarantined(landing: Landing) -> None:
    landing.write(CONTACTS, "a.csv", csv_text(CONTACT_HEADER, [["c1", ANNE, "co1", "true"]]))
    _load(landing)
    assert _suppression(landing).add({EMAIL: [ANNE]}, ERASED) == 1  # erasing outranks opting out
    assert _suppression(landing).add({EMAIL: [ANNE]}, ERASED) == 0
    landing.write(CONTACTS, "b.csv", csv_text(CONTACT_HEADER, [["c5", ANNE, "co1", "false"]]))
    _load(landing)

    assert landing.query("select reason_kind from raw._quarantine") == [("suppressed",)]
    assert _loaded_ids(landing) == ["c1"]


def test_an_old_list_of_erased_people_keeps_quarantining(landing: Landing) -> None:
    """A list written before opt-outs were listed: its lines all say `erased`."""
    suppression = _suppression(landing)
    suppression.add({CONTACT_ID: ["c1"]}, ERASED)
    landing.write(CONTACTS, "a.csv", csv_text(CONTACT_HEADER, [["c1", ANNE, "co1", "true"]]))
    _load(landing)

    assert landing.query("select reason_kind from raw._quarantine") == [("suppressed",)]
    assert _opted_out_contacts(landing) == []
    assert [reason for _, reason in _listed(landing)] == [ERASED]  # a row never loaded: no opt-out


def test_erasing_a_person_deletes_their_opted_out_contact_rows(landing: Landing) -> None:
    landing.write(
        CONTACTS,
        "a.csv",
        csv_text(CONTACT_HEADER, [["c1", ANNE, "co1", "true"], ["c2", "bob@example.fr", "", "1"]]),
    )
    _load(landing)
    request = ErasureRequest(
        request_id="r1",
        requested_at="2026-01-01T00:00:00+00:00",
        contact_ids=["c1"],
        emails=[ANNE],
        needles=["c1", ANNE],
        values=[],
    )
    erase_from_warehouse(FunnelPaths(landing.warehouse.parent), request)
    assert _opted_out_contacts(landing) == ["c2"]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (EMAIL, ANNE),
        (EMAIL, "  Anne.Martin@Example.FR "),
        (EMAIL, "e\u0301lise@example.fr"),  # decomposed: NFC both ways
        (CONTACT_ID, "c1"),
        (CONTACT_ID, " CON-42-000356 "),
    ],
)
def test_the_sql_hash_is_the_python_hash(tmp_path: Path, kind: str, value: str) -> None:
    suppression = Suppression(tmp_path / PRIVACY_FOLDER)
    with duckdb.connect() as connection:
        [(in_sql,)] = connection.execute(
            f"select {suppression.hash_sql(kind, '?')}", [value]
        ).fetchall()
    assert in_sql == suppression.hash(kind, value)
