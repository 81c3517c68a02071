"""Publication copies only what changed: unchanged tables are carried over from the previous
file as they are, changed ones are copied again, and the result equals the marts row for row."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.compaction import file_space
from orchestration.publishing import TableDocs, publish

IDENTIFIERS = frozenset({"email", "phone"})
DOCS = {
    "dim_contacts": TableDocs("One row per contact.", {"score": "The score."}, IDENTIFIERS),
    "fct_events": TableDocs("One row per event."),
    "rpt_daily": TableDocs("One row per day."),
}
TABLES = list(DOCS)


def build_marts(warehouse: Path, contacts: int, *, day: int = 0, shuffle: bool = False) -> None:
    """Public tables as dbt rebuilds them: `day` changes the report only, `shuffle` rewrites the
    others with the same rows in another order."""
    order = "order by hash(contact_id)" if shuffle else ""
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute(
            f"""
            create or replace table marts.dim_contacts as
            select * from (
                select 'c' || i as contact_id, 'p' || i || '@example.fr' as email,
                       '+33 6 00 00 ' || i as phone, (i % 97) / 7.0 as score
                from range({contacts}) as t(i)
            ) {order}
            """
        )
        connection.execute(
            f"""
            create or replace table marts.fct_events as
            select * from (
                select 'e' || i as event_id, 'c' || (i % {contacts}) as contact_id,
                       timestamp '2026-01-01' + to_seconds(i) as occurred_at
                from range({contacts * 3}) as t(i)
            ) {order}
            """
        )
        connection.execute(
            f"""
            create or replace table marts.rpt_daily as
            select date '2026-01-01' + {day} as day, count(*) as contacts from marts.dim_contacts
            """
        )


def storage_blocks(database: Path, table: str) -> list[int]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return [
            row[0]
            for row in connection.execute(
                f"select block_id from pragma_storage_info('marts.{table}') order by all"
            ).fetchall()
        ]


def assert_published_equals_marts(
    warehouse: Path, serving: Path, tables: list[str] = TABLES
) -> None:
    """Every published table holds the warehouse's rows (personal columns aside), row for row."""
    with duckdb.connect() as connection:
        connection.execute(f"attach '{warehouse}' as warehouse (read_only)")
        connection.execute(f"attach '{serving}' as serving (read_only)")
        published = {
            row[0]
            for row in connection.execute(
                "select table_name from duckdb_tables()"
                " where database_name = 'serving' and schema_name = 'marts'"
            ).fetchall()
        }
        assert published == set(tables)
        for table in tables:
            columns = [
                row[0] for row in connection.execute(f"describe serving.marts.{table}").fetchall()
            ]
            assert not set(columns) & IDENTIFIERS
            select = ", ".join(columns)
            for left, right in [("warehouse", "serving"), ("serving", "warehouse")]:
                missing = connection.execute(
                    f"select count(*) from (select {select} from {left}.marts.{table}"
                    f" except all select {select} from {right}.marts.{table})"
                ).fetchone()[0]
                assert missing == 0, f"{table}: {missing} rows of {left} not in {right}"


def test_unchanged_tables_are_carried_over_and_changed_ones_copied(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_marts(warehouse, 20_000)
    first = publish(warehouse, serving, TABLES, run_id="run-1", docs=DOCS)
    assert first.copied_tables == TABLES and first.kept_tables == []
    blocks = {table: storage_blocks(serving, table) for table in TABLES}

    # the next run rebuilds every table: same rows in another order, and a new report day
    build_marts(warehouse, 20_000, day=1, shuffle=True)
    second = publish(warehouse, serving, TABLES, run_id="run-2", docs=DOCS)

    assert second.started_from_previous
    assert second.copied_tables == second.changed_tables == ["rpt_daily"]
    assert second.kept_tables == ["dim_contacts", "fct_events"]
    # the unchanged tables are the previous file's blocks, not a new copy
    assert storage_blocks(serving, "dim_contacts") == blocks["dim_contacts"]
    assert storage_blocks(serving, "fct_events") == blocks["fct_events"]
    assert_published_equals_marts(warehouse, serving)
    with duckdb.connect(str(serving), read_only=True) as connection:
        recorded = dict(
            connection.execute(
                "select table_name, content_published_at = published_at"
                " from main.published_tables where run_id = 'run-2'"
            ).fetchall()
        )
        assert recorded == {"dim_contacts": False, "fct_events": False, "rpt_daily": True}
        # comments survive on kept tables
        assert (
            connection.execute(
                "select comment from duckdb_tables() where table_name = 'dim_contacts'"
            ).fetchone()[0]
            == "One row per contact."
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serving.duckdb", "warehouse.duckdb"]


def test_a_change_of_one_value_or_of_a_column_is_copied(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_marts(warehouse, 5_000)
    publish(warehouse, serving, TABLES, docs=DOCS)

    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "update marts.dim_contacts set score = score + 1 where contact_id = 'c7'"
        )
    assert publish(warehouse, serving, TABLES, docs=DOCS).copied_tables == ["dim_contacts"]
    assert_published_equals_marts(warehouse, serving)

    with duckdb.connect(str(warehouse)) as connection:  # same values, another type
        connection.execute("alter table marts.rpt_daily alter contacts type integer")
    assert publish(warehouse, serving, TABLES, docs=DOCS).copied_tables == ["rpt_daily"]

    with duckdb.connect(str(warehouse)) as connection:  # one duplicate row more
        connection.execute("insert into marts.fct_events select * from marts.fct_events limit 1")
    assert publish(warehouse, serving, TABLES, docs=DOCS).copied_tables == ["fct_events"]
    assert_published_equals_marts(warehouse, serving)

    # a personal column changing changes nothing published (fct_events, whose row count
    # changed last time, is copied once more: it was not hashed then)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("update marts.dim_contacts set email = 'new@example.fr'")
    assert publish(warehouse, serving, TABLES, docs=DOCS).copied_tables == ["fct_events"]


def recorded_fingerprints(serving: Path) -> dict[str, str | None]:
    with duckdb.connect(str(serving), read_only=True) as connection:
        return dict(
            connection.execute(
                "select table_name, fingerprint from main.published_tables"
            ).fetchall()
        )


def test_a_table_whose_row_count_changed_is_copied_without_being_hashed(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_marts(warehouse, 5_000)
    publish(warehouse, serving, TABLES, docs=DOCS)
    hashed = recorded_fingerprints(serving)
    assert all(hashed.values())

    with duckdb.connect(str(warehouse)) as connection:  # the event grain grows
        connection.execute("insert into marts.fct_events values ('e-new', 'c1', now()::timestamp)")
    grown = publish(warehouse, serving, TABLES, docs=DOCS)
    assert grown.copied_tables == ["fct_events"]
    assert recorded_fingerprints(serving) == {**hashed, "fct_events": None}
    assert_published_equals_marts(warehouse, serving)

    # unknown, so copied once more and hashed; then known unchanged
    again = publish(warehouse, serving, TABLES, docs=DOCS)
    assert again.copied_tables == ["fct_events"]
    assert recorded_fingerprints(serving)["fct_events"] not in (None, hashed["fct_events"])
    assert publish(warehouse, serving, TABLES, docs=DOCS).copied_tables == []
    assert_published_equals_marts(warehouse, serving)


def test_a_replaced_table_reuses_the_blocks_of_the_old_one(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_marts(warehouse, 20_000)
    publish(warehouse, serving, TABLES, docs=DOCS)
    sizes = [serving.stat().st_size]
    for run in range(1, 5):  # dim_contacts changes every run, the rest does not
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute(f"update marts.dim_contacts set score = score + {run}")
        publication = publish(warehouse, serving, TABLES, docs=DOCS)
        assert publication.started_from_previous
        assert publication.copied_tables == ["dim_contacts"]
        sizes.append(serving.stat().st_size)
    # a block more for the catalog at most, then the file's size holds
    assert sizes[1] <= sizes[0] + file_space(serving).file_bytes // file_space(serving).total_blocks
    assert len(set(sizes[1:])) == 1
    assert_published_equals_marts(warehouse, serving)


def test_a_publication_with_too_much_free_space_starts_from_an_empty_file(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_marts(warehouse, 200_000)
    publish(warehouse, serving, TABLES, docs=DOCS)
    with duckdb.connect(str(warehouse)) as connection:  # the big table shrinks
        connection.execute("delete from marts.fct_events where contact_id <> 'c1'")
    shrunk = publish(warehouse, serving, TABLES, docs=DOCS)
    assert shrunk.started_from_previous and shrunk.copied_tables == ["fct_events"]
    assert file_space(serving).free_share > 0.2  # its old blocks are free in the file
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("update marts.rpt_daily set contacts = 0")
    publication = publish(warehouse, serving, TABLES, docs=DOCS)
    assert "dim_contacts" not in publication.changed_tables
    assert publication.copied_tables == TABLES and not publication.started_from_previous
    assert file_space(serving).free_blocks == 0
    assert_published_equals_marts(warehouse, serving)


def test_a_table_no_longer_public_is_dropped(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_marts(warehouse, 5_000)
    publish(warehouse, serving, TABLES, docs=DOCS)
    publication = publish(warehouse, serving, TABLES[:2], docs=DOCS)
    assert publication.copied_tables == []
    with duckdb.connect(str(serving), read_only=True) as connection:
        assert connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall() == [("dim_contacts",), ("fct_events",)]


def test_the_published_file_stays_compact_when_big_tables_change_every_run(
    tmp_path: Path,
) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_marts(warehouse, 20_000)
    publish(warehouse, serving, TABLES, docs=DOCS)
    first_size = serving.stat().st_size
    for run in range(1, 6):  # the big tables change every time
        build_marts(warehouse, 20_000 + run)
        publication = publish(warehouse, serving, TABLES, docs=DOCS)
        assert set(publication.copied_tables) == set(TABLES)
        assert file_space(serving).free_share <= 0.2
    assert serving.stat().st_size < first_size * 1.3
    assert_published_equals_marts(warehouse, serving)


def test_a_publication_without_fingerprints_is_replaced_whole(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_marts(warehouse, 1_000)
    publish(warehouse, serving, TABLES, docs=DOCS)
    with duckdb.connect(str(serving)) as connection:  # as publications before fingerprints
        connection.execute("alter table main.published_tables drop fingerprint")
    publication = publish(warehouse, serving, TABLES, docs=DOCS)
    assert publication.copied_tables == TABLES
    assert publish(warehouse, serving, TABLES, docs=DOCS).copied_tables == []
    assert_published_equals_marts(warehouse, serving)


def test_a_reader_of_the_previous_file_keeps_reading_it_while_a_copy_of_it_is_published(
    tmp_path: Path,
) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_marts(warehouse, 20_000)
    publish(warehouse, serving, TABLES, docs=DOCS)
    # another process, as BI is: it opens the published file read-only and keeps it open
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"c = duckdb.connect({str(serving)!r}, read_only=True)\n"
            "day = 'select day, (select count(*) from marts.fct_events) from marts.rpt_daily'\n"
            "print(*c.execute(day).fetchone(), flush=True)\n"
            "sys.stdin.readline()\n"
            "print(*c.execute(day).fetchone(), flush=True)\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().split() == ["2026-01-01", "60000"]
        build_marts(warehouse, 20_000, day=1)
        publication = publish(warehouse, serving, TABLES, docs=DOCS)
        assert publication.started_from_previous and publication.copied_tables == ["rpt_daily"]
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().split() == ["2026-01-01", "60000"]
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    with duckdb.connect(str(serving), read_only=True) as connection:
        assert str(connection.execute("select day from marts.rpt_daily").fetchone()[0]) == (
            "2026-01-02"
        )


# The event grain, published by rows: a primary key and when each row was built.
EVENTS = "fct_engagement_events"
EVENT_DOCS = {EVENTS: TableDocs("One row per event.", primary_key=("event_id",))}


def build_events(warehouse: Path, events: int, built_at: str = "2026-01-01 06:00") -> None:
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute(
            f"""
            create or replace table marts.{EVENTS} as
            select 'e' || i as event_id, 'c' || (i % 1000) as contact_id, i % 7 as points,
                   timestamp '{built_at}' as built_at
            from range({events}) as t(i)
            """
        )


def change_events(warehouse: Path, *statements: str) -> None:
    with duckdb.connect(str(warehouse)) as connection:
        for statement in statements:
            connection.execute(statement.format(events=f"marts.{EVENTS}"))


def publish_events(warehouse: Path, serving: Path):
    # (whatever the free share of this small file: when to start empty is tested above)
    publication = publish(warehouse, serving, [EVENTS], docs=EVENT_DOCS, max_free_share=1.0)
    assert_published_equals_marts(warehouse, serving, [EVENTS])
    return publication


def test_the_event_grain_is_published_by_the_rows_built_since(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_events(warehouse, 300_000)
    assert publish_events(warehouse, serving).copied_tables == [EVENTS]
    blocks = storage_blocks(serving, EVENTS)

    # a next day adds events
    change_events(
        warehouse,
        "insert into {events} select 'e-new-' || i, 'c1', 3, timestamp '2026-01-02 06:00'"
        " from range(2000) as t(i)",
    )
    added = publish_events(warehouse, serving)
    assert added.updated_tables == [EVENTS] and added.copied_tables == []
    assert set(blocks) <= set(storage_blocks(serving, EVENTS))  # the old rows stay in place

    # a contact's events recomputed (their points changed) and one more event
    change_events(
        warehouse,
        "update {events} set points = points + 1, built_at = timestamp '2026-01-03 06:00'"
        " where contact_id = 'c7'",
        "insert into {events} values ('e-late', 'c7', 1, timestamp '2026-01-03 06:00')",
    )
    assert publish_events(warehouse, serving).updated_tables == [EVENTS]

    # events no longer held (a run as of an earlier day), with others rewritten
    change_events(
        warehouse,
        "delete from {events} where event_id like 'e-new-%'",
        "update {events} set points = 0, built_at = timestamp '2026-01-04 06:00'"
        " where contact_id = 'c8'",
    )
    assert publish_events(warehouse, serving).updated_tables == [EVENTS]
    # only keys gone, nothing built since
    change_events(warehouse, "delete from {events} where contact_id = 'c9'")
    assert publish_events(warehouse, serving).updated_tables == [EVENTS]


def test_the_event_grain_is_copied_whole_when_rebuilt_or_reshaped(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_events(warehouse, 100_000)
    publish_events(warehouse, serving)

    build_events(warehouse, 100_001, built_at="2026-01-02 06:00")  # a full rebuild
    rebuilt = publish_events(warehouse, serving)
    assert rebuilt.copied_tables == [EVENTS] and rebuilt.updated_tables == []

    change_events(  # a new column, and a few rows built since
        warehouse,
        "alter table {events} add column channel varchar default 'email'",
        "insert into {events} values ('e-x', 'c1', 1, timestamp '2026-01-03 06:00', 'web')",
    )
    reshaped = publish_events(warehouse, serving)
    assert reshaped.copied_tables == [EVENTS] and reshaped.updated_tables == []


def test_rows_recorded_as_built_before_the_previous_publication_are_copied_whole(
    tmp_path: Path,
) -> None:
    """`built_at` went back in time (a clock set back between builds): the row counts do not
    reconcile, so the table is copied whole rather than published wrong."""
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_events(warehouse, 100_000)
    publish_events(warehouse, serving)
    change_events(
        warehouse,
        "insert into {events} select 'e-past-' || i, 'c1', 3, timestamp '2025-12-31 06:00'"
        " from range(10) as t(i)",
        "insert into {events} values ('e-new', 'c1', 1, timestamp '2026-01-02 06:00')",
    )
    publication = publish_events(warehouse, serving)
    assert publication.copied_tables == [EVENTS] and publication.updated_tables == []
