"""The warehouse's compaction: a rewrite that keeps every object and row, gives the freed space
back, and leaves a usable warehouse whenever it is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.compaction import compact_if_needed, file_space, rewrite

# A rewrite runs this in another process, so that the test can kill it.
REWRITER = (
    "import sys; from pathlib import Path; from orchestration.compaction import rewrite; "
    "rewrite(Path(sys.argv[1]))"
)


def build_warehouse(path: Path, rows: int) -> None:
    """A warehouse with what the real one holds: schemas, tables with constraints and comments,
    views, and free blocks left by a rebuilt table (as every dbt run leaves)."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema raw; create schema staging; create schema marts")
        connection.execute(
            "create table raw.contacts (contact_id varchar primary key, email varchar not null)"
        )
        connection.execute(
            "insert into raw.contacts"
            " select 'c' || i, 'p' || i || '@example.fr' from range(997) as t(i)"
        )
        connection.execute(
            "create table raw.events (event_id varchar, contact_id varchar not null,"
            " occurred_at timestamp, payload varchar)"
        )
        connection.execute(
            f"""
            insert into raw.events
            select 'e' || i, 'c' || (i % 997), timestamp '2026-01-01' + to_seconds(i),
                   case when i % 7 = 0 then null else repeat('x', cast(i % 50 as integer)) end
            from range({rows}) as t(i)
            """
        )
        connection.execute("comment on table raw.events is 'Every event, as loaded.'")
        connection.execute("comment on column raw.events.payload is 'The raw payload.'")
        connection.execute(
            "create view staging.stg_events as select * from raw.events where payload is not null"
        )
        for _ in range(2):  # rebuilt as dbt does: the first build's blocks are freed
            connection.execute(
                """
                create or replace table marts.dim_contacts as
                select contact_id, count(*) as events, max(occurred_at) as last_event_at,
                       sum(length(payload)) / 3.0 as score
                from staging.stg_events group by contact_id
                """
            )
            connection.execute(
                "create or replace table marts.fct_events as"
                " select *, hash(event_id) % 100 as points from raw.events"
            )
            connection.execute("checkpoint")
        connection.execute("create table marts.empty_table (id integer)")


def snapshot(path: Path) -> dict:
    """Every schema, table (columns, constraints, comments, rows and a checksum) and view."""
    with duckdb.connect(str(path), read_only=True) as connection:
        schemas = connection.execute(
            "select schema_name from duckdb_schemas() where database_name = current_database()"
            " order by 1"
        ).fetchall()
        tables = connection.execute(
            "select schema_name, table_name, sql, comment from duckdb_tables() order by 1, 2"
        ).fetchall()
        columns = connection.execute(
            "select schema_name, table_name, column_name, data_type, is_nullable, comment"
            " from duckdb_columns() where database_name = current_database() order by 1, 2, 3"
        ).fetchall()
        views = connection.execute(
            "select schema_name, view_name, sql from duckdb_views() where not internal order by 1"
        ).fetchall()
        rows = {
            f"{schema}.{table}": connection.execute(
                f'select count(*), sum(hash(t)::hugeint) from "{schema}"."{table}" as t'
            ).fetchone()
            for schema, table, *_ in tables
        }
    return {"schemas": schemas, "tables": tables, "columns": columns, "views": views, "rows": rows}


def test_the_rewrite_keeps_every_schema_table_view_row_and_comment(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(warehouse, 100_000)
    before = snapshot(warehouse)
    assert file_space(warehouse).free_share > 0.2  # the rebuilt tables left blocks free

    rewrite(warehouse)

    assert snapshot(warehouse) == before
    assert before["rows"]["raw.events"][0] == 100_000
    assert file_space(warehouse).free_blocks == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


def test_compaction_gives_the_freed_space_back_only_past_the_share(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(warehouse, 100_000)
    size = warehouse.stat().st_size

    leftover = tmp_path / ".warehouse.duckdb.0123.tmp"  # as a killed rewrite leaves it
    leftover.write_bytes(b"half a copy")
    left = compact_if_needed(warehouse, max_free_share=0.99)
    assert not left.rewritten
    assert warehouse.stat().st_size == size
    assert not leftover.exists()

    compaction = compact_if_needed(warehouse, max_free_share=0.2, min_free_bytes=0)
    assert compaction.rewritten
    assert compaction.bytes_before == size
    assert compaction.bytes_after == warehouse.stat().st_size < size * 0.8
    assert compaction.free_share_before > 0.2


def test_a_small_file_is_not_rewritten_for_a_few_free_mebibytes(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(warehouse, 100_000)
    space = file_space(warehouse)
    assert space.free_share > 0.2

    left = compact_if_needed(warehouse, max_free_share=0.2, min_free_bytes=space.free_bytes + 1)
    assert not left.rewritten
    assert warehouse.stat().st_size == space.file_bytes
    assert compact_if_needed(warehouse, min_free_bytes=space.free_bytes).rewritten


def test_rows_only_in_the_write_ahead_log_are_kept(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(warehouse, 10_000)
    # a writer that ended without checkpointing leaves its last rows in warehouse.duckdb.wal
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, os, sys\n"
            "c = duckdb.connect(sys.argv[1])\n"
            "c.execute(\"insert into raw.events values ('late', 'c1', null, 'p')\")\n"
            "os._exit(0)\n",
            str(warehouse),
        ],
        check=True,
    )
    assert warehouse.with_name("warehouse.duckdb.wal").exists()

    rewrite(warehouse)

    assert not warehouse.with_name("warehouse.duckdb.wal").exists()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert (
            connection.execute(
                "select count(*) from raw.events where event_id = 'late'"
            ).fetchone()[0]
            == 1
        )


def _start_rewrite(warehouse: Path) -> tuple[subprocess.Popen, float]:
    """A rewrite in another process, and when it began writing its copy (monotonic time)."""
    rewriting = subprocess.Popen(
        [sys.executable, "-c", REWRITER, str(warehouse)],
        cwd=Path(__file__).resolve().parents[2],
    )
    while not any(warehouse.parent.glob(f".{warehouse.name}.*.tmp")):
        if rewriting.poll() is not None:
            break
        time.sleep(0.002)
    return rewriting, time.monotonic()


@pytest.mark.slow
def test_a_rewrite_killed_at_any_moment_leaves_a_whole_usable_warehouse(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine.duckdb"
    build_warehouse(pristine, 500_000)
    expected = snapshot(pristine)
    home = tmp_path / "home"
    home.mkdir()
    warehouse = home / "warehouse.duckdb"

    # how long the copy takes here, to kill it at moments spread over its length
    warehouse.write_bytes(pristine.read_bytes())
    rewriting, copy_started = _start_rewrite(warehouse)
    assert rewriting.wait(timeout=300) == 0
    length = time.monotonic() - copy_started
    assert snapshot(warehouse) == expected

    outcomes = set()
    for moment in [0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0, 1.2]:
        warehouse.write_bytes(pristine.read_bytes())
        original_inode = warehouse.stat().st_ino
        rewriting, copy_started = _start_rewrite(warehouse)
        time.sleep(max(0.0, copy_started + length * moment - time.monotonic()))
        os.kill(rewriting.pid, signal.SIGKILL)
        rewriting.wait(timeout=30)
        outcomes.add("old" if warehouse.stat().st_ino == original_inode else "new")

        assert snapshot(warehouse) == expected, f"killed at {moment:.0%} of a copy"
        # the next compaction removes what the killed one left, and completes
        compaction = compact_if_needed(warehouse, max_free_share=0.0, min_free_bytes=0)
        assert snapshot(warehouse) == expected
        assert compaction.bytes_after <= pristine.stat().st_size
        assert sorted(p.name for p in home.iterdir()) == ["warehouse.duckdb"]
    assert outcomes == {"old", "new"}  # kills landed both during the copy and after the swap


def test_without_disk_space_for_the_copy_the_warehouse_is_left_as_it_is(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    built = tmp_path / "built.duckdb"
    build_warehouse(built, 100_000)
    # room for the warehouse and a quarter of it more: not for a copy of its data
    room = built.stat().st_size + file_space(built).file_bytes // 4
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={room // 1024}k", "tmpfs", str(disk)], check=True
    )
    try:
        warehouse = disk / "warehouse.duckdb"
        warehouse.write_bytes(built.read_bytes())
        before = snapshot(warehouse)

        compaction = compact_if_needed(warehouse, max_free_share=0.0, min_free_bytes=0)

        assert not compaction.rewritten
        assert "MiB free on disk" in compaction.skipped_because
        assert snapshot(warehouse) == before
        assert sorted(p.name for p in disk.iterdir()) == ["warehouse.duckdb"]
    finally:
        subprocess.run(["umount", str(disk)], check=True)
