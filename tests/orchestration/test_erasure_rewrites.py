"""An erasure rewrites a landing file without the people erased and nothing else."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from orchestration.loading.tables import QUARANTINE_TABLE
from orchestration.privacy.erasure import (
    ErasureRequest,
    _rewrite_parquet,
    _rewrite_text,
    erase_from_warehouse,
)
from orchestration.privacy.person import person_rows
from orchestration.settings import FunnelPaths


def _request(contact_ids: list[str], emails: list[str]) -> ErasureRequest:
    return ErasureRequest(
        request_id="r",
        requested_at="2026-12-01T00:00:00+00:00",
        contact_ids=contact_ids,
        emails=emails,
        needles=[*contact_ids, *emails],
        values=[],
    )


def _rows(path: Path) -> list[tuple]:
    with duckdb.connect() as connection:
        return connection.execute(f"select * from '{path}' order by all").fetchall()


def test_a_parquet_rewrite_keeps_other_rows_with_null_text(tmp_path: Path) -> None:
    # a row whose text columns are null matched nobody: `not (condition)` once dropped it
    path = tmp_path / "contacts.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"""copy (select * from (values
                ('c1', 'ann@acme.fr', 'Ann'), ('c2', null, 'Bob'), ('c3', 'cy@acme.fr', null),
                (null, null, null)
            ) t(contact_id, email, first_name)) to '{path}' (format parquet)"""
        )
    changed, removed = _rewrite_parquet(path, _request(["c1"], ["ann@acme.fr"]))
    assert changed and removed == {"c1"}
    assert _rows(path) == [("c2", None, "Bob"), ("c3", "cy@acme.fr", None), (None, None, None)]


def test_identifiers_are_matched_literally_in_a_batch(tmp_path: Path) -> None:
    # many people in one request: their identifiers' dots, pluses and brackets are text, not
    # patterns, and a value holding one of them among other words is theirs
    path = tmp_path / "events.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"""copy (select * from (values
                ('e1', 'A.B+tag@Acme.fr'), ('e2', 'axb+tag@acme.fr'), ('e3', 'see (c-9) here'),
                ('e4', 'c-99'), ('e5', 'c-9x'), ('e6', 'other@acme.fr')
            ) t(event_id, email) ) to '{path}' (format parquet)"""
        )
    changed, _ = _rewrite_parquet(path, _request(["(c-9)"], ["a.b+tag@acme.fr"]))
    assert changed
    assert [r[0] for r in _rows(path)] == ["e2", "e4", "e5", "e6"]


# An identifier counts where no letter or digit touches it: another person's longer id or email,
# or a load id whose hex happens to spell a short contact id, is not the person's.
ERASED_PERSON = _request(["c1", "(c-9)"], ["anne.martin@example.fr"])
RECORDS = [  # (key, text, erased)
    ("r1", "c1", True),
    ("r2", "Anne.Martin@Example.FR", True),
    ("r3", '{"contact_id": "c1", "note": "x"}', True),
    ("r4", "wrote from anne.martin@example.fr.", True),
    ("r5", "c10", False),
    ("r6", "joanne.martin@example.fr", False),
    ("r7", "20261204T181658Z-ab3c1f00", False),
    ("r8", "anne.martin@example.fra", False),
    ("r9", "ref:(c-9)x", True),  # an identifier's sign is its own edge
    ("r10", "c-9)", False),
]
KEPT = sorted(key for key, _, erased in RECORDS if not erased)


def test_a_parquet_rewrite_erases_whole_identifiers_only(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    with duckdb.connect() as connection:
        connection.execute("create table t (record_id varchar, payload varchar)")
        connection.executemany("insert into t values (?, ?)", [r[:2] for r in RECORDS])
        connection.execute(f"copy t to '{path}' (format parquet)")
    _rewrite_parquet(path, ERASED_PERSON)
    assert [r[0] for r in _rows(path)] == KEPT


def test_a_text_rewrite_erases_whole_identifiers_only(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["record_id", "payload"])
        writer.writerows(r[:2] for r in RECORDS)
    _rewrite_text(path, ERASED_PERSON, "csv")
    with path.open(newline="", encoding="utf-8") as stream:
        assert sorted(row["record_id"] for row in csv.DictReader(stream)) == KEPT


def test_a_warehouse_erasure_deletes_whole_identifiers_only(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema raw")
        connection.execute(
            "create table raw._opted_out_contacts (contact_id varchar, load_id varchar)"
        )
        connection.executemany(
            "insert into raw._opted_out_contacts values (?, ?)", [r[:2] for r in RECORDS]
        )
    erase_from_warehouse(FunnelPaths(tmp_path), ERASED_PERSON)
    with duckdb.connect(str(warehouse)) as connection:
        kept = connection.execute("select contact_id from raw._opted_out_contacts order by 1")
        assert [key for (key,) in kept.fetchall()] == KEPT


def test_a_quarantined_line_that_is_no_record_is_theirs_by_whole_identifiers() -> None:
    with duckdb.connect() as connection:
        connection.execute("create schema raw")
        connection.execute(
            f"create table {QUARANTINE_TABLE} (entity varchar, raw_record varchar,"
            " quarantined_at timestamp, file_path varchar, line_number bigint)"
        )
        connection.executemany(
            f"insert into {QUARANTINE_TABLE} values ('contacts', ?, null, ?, 1)",
            [(text, key) for key, text, _ in RECORDS],
        )
        rows = person_rows(connection, ERASED_PERSON.person)
    found = {row["file_path"] for row in rows[QUARANTINE_TABLE]}
    assert found == {key for key, _, erased in RECORDS if erased}


def test_a_batch_of_ten_thousand_people_is_one_pattern_that_compiles(tmp_path: Path) -> None:
    # a retention batch: one pattern for all their identifiers, which RE2 must compile (one
    # group of edges per identifier did not) and match in one pass over a text file's lines
    ids = [f"con-{i:05d}" for i in range(10_000)]
    batch = _request(ids, [f"person{i}@example.fr" for i in range(10_000)])
    parquet, text = tmp_path / "events.parquet", tmp_path / "events.csv"
    rows = [("e1", "CON-00042"), ("e2", "con-000421"), ("e3", "PERSON7@example.fr")]
    with duckdb.connect() as connection:
        connection.execute("create table t (event_id varchar, payload varchar)")
        connection.executemany("insert into t values (?, ?)", rows)
        connection.execute(f"copy t to '{parquet}' (format parquet)")
    text.write_text("event_id,payload\n" + "".join(f"{a},{b}\n" for a, b in rows))

    _rewrite_parquet(parquet, batch)
    _rewrite_text(text, batch, "csv")
    assert [r[0] for r in _rows(parquet)] == ["e2"]
    assert text.read_text() == "event_id,payload\ne2,con-000421\n"
