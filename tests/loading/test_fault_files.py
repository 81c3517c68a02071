"""One landing file per fault kind, each with the exact outcome a user relies on.

Every file is built here, next to what it should do, so a reader sees the fault and its counts.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import duckdb
import pytest
from loading_builders import EVENT_HEADER, Landing, csv_text, event_row

from orchestration.loading import (
    MANIFEST_TABLE,
    QUARANTINE_TABLE,
    connect,
    forget_file,
    load_entity,
    reconcile,
    unknown_landing_entries,
)

CONTACT_HEADER = ["contact_id", "first_name", "job_title", "email", "company_id", "opted_out"]
CONTACT_ROWS = [
    ["k1", "Zoé", "Directrice générale", "zoe@acme.fr", "co1", "oui"],
    ["k2", "Œdipe", "Responsable € achats", "oedipe@acme.fr", "co1", "non"],
    ["k3", "Anaïs", "DSI", "", "co2", "1"],
]
EVENTS = [event_row(i) for i in range(1, 4)]


@dataclass(frozen=True)
class Fault:
    entity: str
    name: str
    content: bytes
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason_kinds: tuple[str, ...] = ()  # of the quarantined rows, by line
    reason: str = ""  # in the manifest, for a rejected file


def _contacts(delimiter: str, encoding: str, bom: bytes = b"") -> bytes:
    return bom + csv_text(CONTACT_HEADER, CONTACT_ROWS, delimiter).encode(encoding)


def _events(*rows: str, header: str = ",".join(EVENT_HEADER)) -> bytes:
    return "".join(f"{line}\n" for line in [header, *rows]).encode()


GOOD = ",".join(event_row(9))
FAULTS = [
    Fault("contacts", "utf8_comma.csv", _contacts(",", "utf-8"), "loaded", 3, 3),
    Fault("contacts", "utf8_bom.csv", _contacts(";", "utf-8", codecs.BOM_UTF8), "loaded", 3, 3),
    Fault("contacts", "cp1252_semicolon.csv", _contacts(";", "cp1252"), "loaded", 3, 3),
    Fault("contacts", "tab.csv", _contacts("\t", "utf-8"), "loaded", 3, 3),
    Fault("contacts", "pipe.csv", _contacts("|", "utf-8"), "loaded", 3, 3),
    Fault("contacts", "utf16.csv", _contacts(",", "utf-16"), "loaded", 3, 3),
    Fault(
        "contacts",
        "crlf_multiline.csv",
        b'contact_id,email,job_title\r\nk1,a@b.fr,"CEO\r\nand founder"\r\nk2,c@d.fr,CTO\r\n',
        "loaded",
        2,
        2,
    ),
    Fault(
        "engagement_events",
        "missing_required_column.csv",
        _events("e1,page_viewed,c1", header="event_id,event_type,contact_id"),
        "rejected",
        reason="missing required column(s): occurred_at",
    ),
    Fault(
        "engagement_events",
        "extra_column.csv",
        _events(
            *(",".join([*r, "spring"]) for r in EVENTS), header=",".join(EVENT_HEADER) + ",Promo"
        ),
        "loaded",
        3,
        3,
    ),
    Fault(
        "engagement_events",
        "missing_optional_columns.csv",
        _events(
            "e1,page_viewed,2025-01-01,c1", header="event_id,event_type,occurred_at,contact_id"
        ),
        "loaded",
        1,
        1,
    ),
    Fault(
        "engagement_events",
        "broken_quote.csv",
        _events(GOOD, 'e2,"page_viewed,2025-01-01,c2,,web', GOOD.replace("e9", "e3")),
        "loaded",
        3,
        2,
        1,
        ("broken_quoting",),
    ),
    Fault(
        "engagement_events",
        "wrong_field_count.csv",
        _events(GOOD, "e2,page_viewed,2025-01-01,c2,,web,surplus", "e3,page_viewed"),
        "loaded",
        3,
        1,
        2,
        ("wrong_field_count", "wrong_field_count"),
    ),
    Fault(
        "engagement_events",
        "bad_dates.csv",
        _events(GOOD, "e2,page_viewed,31/02/2025,c2,,web", "e3,page_viewed,hier,c3,,web"),
        "loaded",
        3,
        1,
        2,
        ("unparseable_value", "unparseable_value"),
    ),
    Fault(
        "engagement_events",
        "missing_values.csv",
        _events(GOOD, ",page_viewed,2025-01-01,c2,,web", "e3,page_viewed,2025-01-01,,,web"),
        "loaded",
        3,
        1,
        2,
        ("missing_required_value", "missing_required_value"),
    ),
    Fault(
        "companies",
        "bad_numbers.csv",
        b"company_id;employee_count;annual_revenue_eur\n"
        b"co1;12;1 234,5\nco2;douze;10\nco3;3;1,2,3\n",
        "loaded",
        3,
        1,
        2,
        ("unparseable_value", "unparseable_value"),
    ),
    Fault("engagement_events", "empty.csv", b"", "rejected", reason="empty file"),
    Fault("engagement_events", "blank.csv", b"\n\r\n", "rejected", reason="empty file"),
    Fault("engagement_events", "header_only.csv", _events(), "loaded", 0, 0),
    Fault(
        "engagement_events",
        "no_header.csv",
        b"x1,y1,z1\n",
        "rejected",
        reason="no column matches the contract",
    ),
    Fault(
        "engagement_events",
        "report.xlsx",
        b"PK\x03\x04",
        "rejected",
        reason="unsupported file type '.xlsx'",
    ),
    Fault(
        "engagement_events",
        "events.jsonl",
        b'{"event_id":"j1","event_type":"page_viewed","occurred_at":"2025-01-01","email":"a@b.fr"}\n'
        b"\n"
        b"{not json\n"
        b"[1, 2]\n"
        b'{"event_id":"j2","event_type":"demo_requested","occurred_at":"2025-01-02T09:00:00+02:00",'
        b'"contact_id":"c2","utm":{"source":"ads"}}\n',
        "loaded",
        4,
        2,
        2,
        ("invalid_json", "invalid_json"),
    ),
]


def _load_alone(landing: Landing, fault: Fault):
    landing.write(fault.entity, fault.name, fault.content)
    result = load_entity(landing.warehouse, landing.dir, fault.entity)
    assert len(result.files) == 1
    return result.files[0]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_each_fault_has_its_exact_outcome(landing: Landing, fault: Fault) -> None:
    file = _load_alone(landing, fault)
    assert (file.status, file.rows_read, file.rows_loaded, file.rows_quarantined) == (
        fault.status,
        fault.rows_read,
        fault.rows_loaded,
        fault.rows_quarantined,
    ), file.reason
    assert fault.reason in (file.reason or "")
    manifest = landing.query(
        f"select status, rows_read, rows_loaded, rows_quarantined, reason from {MANIFEST_TABLE}"
    )
    assert manifest == [
        (file.status, file.rows_read, file.rows_loaded, file.rows_quarantined, file.reason)
    ]
    assert landing.scalar(f"select count(*) from raw.{fault.entity}") == fault.rows_loaded
    kinds = landing.query(f"select reason_kind from {QUARANTINE_TABLE} order by line_number")
    assert tuple(k for (k,) in kinds) == fault.reason_kinds
    with duckdb.connect(str(landing.warehouse)) as connection:
        assert reconcile(connection, fault.entity) == []


@pytest.mark.parametrize("name", ["utf8_bom.csv", "cp1252_semicolon.csv", "utf16.csv"])
def test_accents_and_the_euro_sign_survive_every_encoding(landing: Landing, name: str) -> None:
    _load_alone(landing, next(f for f in FAULTS if f.name == name))
    rows = landing.query("select contact_id, first_name, job_title, opted_out from raw.contacts")
    assert sorted(rows) == [
        ("k1", "Zoé", "Directrice générale", True),
        ("k2", "Œdipe", "Responsable € achats", False),
        ("k3", "Anaïs", "DSI", True),
    ]


def test_line_numbers_are_physical_lines(landing: Landing) -> None:
    content = (
        "event_id,event_type,occurred_at,contact_id,channel\n"
        'e1,page_viewed,2025-01-01,c1,"web\nmobile"\n'
        "\n"
        "e2,page_viewed,not a date,c2,web\n"
        "e3,page_viewed,2025-01-01,c3,web\n"
    )
    landing.write("engagement_events", "lines.csv", content)
    load_entity(landing.warehouse, landing.dir, "engagement_events")
    raw = landing.query("select event_id, _line_number from raw.engagement_events order by 2")
    assert raw == [("e1", 2), ("e3", 6)]
    assert landing.query(f"select line_number, raw_record from {QUARANTINE_TABLE}") == [
        (
            5,
            '{"event_id":"e2","event_type":"page_viewed","occurred_at":"not a date",'
            '"contact_id":"c2","channel":"web"}',
        )
    ]


def test_multiline_records_keep_physical_line_numbers_on_the_fast_path(landing: Landing) -> None:
    rows = [
        f'e{i},page_viewed,2025-01-01,c{i},"a\nb"' if i % 3 == 0 else f"e{i},x,2025-01-01,c{i},w"
        for i in range(1, 10)
    ]
    landing.write(
        "engagement_events",
        "m.csv",
        "event_id,event_type,occurred_at,contact_id,channel\n" + "".join(r + "\n" for r in rows),
    )
    load_entity(landing.warehouse, landing.dir, "engagement_events")
    numbers = [
        n for (n,) in landing.query("select _line_number from raw.engagement_events order by 1")
    ]
    assert numbers == [2, 3, 4, 6, 7, 8, 10, 11, 12]


def test_values_are_typed_and_timestamps_are_utc(landing: Landing) -> None:
    _load_alone(landing, next(f for f in FAULTS if f.name == "events.jsonl"))
    rows = landing.query(
        "select event_id, occurred_at::varchar, utm from raw.engagement_events order by 1"
    )
    assert rows == [
        ("j1", "2025-01-01 00:00:00", None),
        ("j2", "2025-01-02 07:00:00", '{"source":"ads"}'),
    ]
    _load_alone(landing, next(f for f in FAULTS if f.name == "bad_numbers.csv"))
    assert landing.query(
        "select company_id, employee_count, annual_revenue_eur from raw.companies"
    ) == [("co1", 12, 1234.5)]


def test_extra_and_missing_columns_load_by_name_across_files(landing: Landing) -> None:
    for fault in FAULTS:
        if fault.name in ("extra_column.csv", "missing_optional_columns.csv"):
            landing.write(fault.entity, fault.name, fault.content)
    landing.write(
        "engagement_events",
        "reordered.csv",
        "channel,occurred_at,event_id,event_type,email\nmail,2025-01-05,e7,email_opened,x@y.fr\n",
    )
    load_entity(landing.warehouse, landing.dir, "engagement_events")
    rows = landing.query(
        "select _file_path.split('/')[-1], event_id, channel, email, promo"
        " from raw.engagement_events order by 1, 2"
    )
    assert rows == [
        ("extra_column.csv", "e1", "web", None, "spring"),
        ("extra_column.csv", "e2", "web", None, "spring"),
        ("extra_column.csv", "e3", "web", None, "spring"),
        ("missing_optional_columns.csv", "e1", None, None, None),
        ("reordered.csv", "e7", "mail", "x@y.fr", None),
    ]


def test_parquet_files_load_with_row_numbers(landing: Landing) -> None:
    path = landing.dir / "contacts" / "export.parquet"
    path.parent.mkdir()
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select * from (values ('k1', 'a@b.fr', true, timestamp '2025-01-01 08:00'),"
            f" ('k2', null, null, null)) as t(contact_id, email, opted_out, created_at))"
            f" to '{path}' (format parquet)"
        )
    file = load_entity(landing.warehouse, landing.dir, "contacts").files[0]
    assert (file.status, file.rows_loaded, file.rows_quarantined) == ("loaded", 1, 1)
    assert landing.query(f"select line_number, reason from {QUARANTINE_TABLE}") == [
        (2, "missing required value: email or company_id (at least one)")
    ]


def test_a_duplicate_under_another_name_is_skipped_once(landing: Landing) -> None:
    content = csv_text(EVENT_HEADER, EVENTS)
    landing.write("engagement_events", "2025-03.csv", content)
    landing.write("engagement_events", "2025-03 (copy).csv", content)
    result = load_entity(landing.warehouse, landing.dir, "engagement_events")
    assert [(f.path.name, f.status) for f in result.files] == [
        ("2025-03 (copy).csv", "loaded"),
        ("2025-03.csv", "skipped"),
    ]
    assert landing.scalar("select count(*) from raw.engagement_events") == 3
    again = load_entity(landing.warehouse, landing.dir, "engagement_events")
    assert again.files == []
    assert landing.scalar(f"select count(*) from {MANIFEST_TABLE}") == 2


def test_a_changed_file_under_the_same_name_loads_as_a_new_version(landing: Landing) -> None:
    header = ["contact_id", "email", "updated_at"]
    landing.write("contacts", "crm.csv", csv_text(header, [["k1", "old@a.fr", "2025-01-01"]]))
    first = load_entity(landing.warehouse, landing.dir, "contacts")
    landing.write("contacts", "crm.csv", csv_text(header, [["k1", "new@a.fr", "2025-02-01"]]))
    second = load_entity(landing.warehouse, landing.dir, "contacts")
    assert [f.status for f in first.files + second.files] == ["loaded", "loaded"]
    rows = landing.query("select email, _load_id from raw.contacts order by updated_at")
    assert rows == [("old@a.fr", first.load_id), ("new@a.fr", second.load_id)]


def test_rerunning_the_load_changes_nothing(landing: Landing) -> None:
    for fault in FAULTS:
        landing.write(fault.entity, fault.name, fault.content)
    tables = [f"raw.{e}" for e in {f.entity for f in FAULTS}] + [MANIFEST_TABLE, QUARANTINE_TABLE]

    def snapshot() -> dict:
        return {t: sorted(map(str, landing.query(f"select * from {t}"))) for t in tables}

    for entity in {f.entity for f in FAULTS}:
        load_entity(landing.warehouse, landing.dir, entity)
    before = snapshot()
    for entity in {f.entity for f in FAULTS}:
        assert load_entity(landing.warehouse, landing.dir, entity).files == []
    assert snapshot() == before
    assert landing.scalar(f"select count(*) from {MANIFEST_TABLE}") == len(FAULTS)


def test_an_unknown_entity_folder_is_never_loaded(landing: Landing) -> None:
    landing.write("leads", "leads.csv", csv_text(["contact_id", "email"], [["k1", "a@b.fr"]]))
    landing.write("contacts", ".~lock.crm.csv#", b"lock")
    for entity in ("contacts", "engagement_events"):
        assert load_entity(landing.warehouse, landing.dir, entity).files == []
    assert landing.scalar("select count(*) from raw.contacts") == 0
    assert unknown_landing_entries(landing.dir) == [landing.dir / "leads"]


def test_a_rejected_file_leaves_nothing_and_says_why(landing: Landing, caplog) -> None:
    fault = next(f for f in FAULTS if f.name == "missing_required_column.csv")
    _load_alone(landing, fault)
    assert "missing required column(s): occurred_at" in caplog.text
    assert landing.scalar(f"select count(*) from {QUARANTINE_TABLE}") == 0
    assert landing.scalar("select count(*) from raw.engagement_events") == 0


def test_a_forgotten_file_loads_again(landing: Landing) -> None:
    path = landing.write("engagement_events", "a.csv", csv_text(EVENT_HEADER, EVENTS))
    load_entity(landing.warehouse, landing.dir, "engagement_events")
    assert forget_file(landing.warehouse, path) == 1
    assert landing.scalar("select count(*) from raw.engagement_events") == 0
    again = load_entity(landing.warehouse, landing.dir, "engagement_events")
    assert [f.status for f in again.files] == ["loaded"]
    assert landing.scalar("select count(*) from raw.engagement_events") == 3


def test_reconciliation_catches_rows_lost_after_the_load(landing: Landing) -> None:
    landing.write("engagement_events", "a.csv", csv_text(EVENT_HEADER, EVENTS))
    load_entity(landing.warehouse, landing.dir, "engagement_events")
    with connect(landing.warehouse) as connection:
        connection.execute("delete from raw.engagement_events where event_id = 'e2'")
        [mismatch] = reconcile(connection, "engagement_events")
    assert (mismatch.rows_loaded, mismatch.rows_in_raw) == (3, 2)
