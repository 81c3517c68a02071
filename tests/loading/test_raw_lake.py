"""The raw lake (orchestration/lake.py): the raw tables as Parquet, one immutable file per loaded
landing file, for the Spark engine."""

from __future__ import annotations

from pathlib import Path

import duckdb
from loading_builders import EVENT_HEADER, Landing, csv_text, event_row

from orchestration.lake import EMPTY_FILE, sync_lake
from orchestration.loading import load_entity
from orchestration.loading.forgetting import forget_file

EVENTS = "engagement_events"


def _sync(landing: Landing, lake: Path) -> dict[str, int]:
    with duckdb.connect(str(landing.warehouse)) as connection:
        return sync_lake(connection, lake)


def _lake_rows(lake: Path, sql: str) -> list[tuple]:
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        return connection.execute(sql.replace("{lake}", str(lake))).fetchall()


def test_each_loaded_file_becomes_one_file_with_its_rows_as_utc_instants(
    landing: Landing, tmp_path: Path
) -> None:
    first = landing.write(EVENTS, "a.csv", csv_text(EVENT_HEADER, [event_row(i) for i in range(3)]))
    landing.write(EVENTS, "b.csv", csv_text(EVENT_HEADER, [event_row(i) for i in range(3, 5)]))
    load_entity(landing.warehouse, landing.dir, EVENTS, min_age_seconds=0)
    lake = tmp_path / "lake"

    assert _sync(landing, lake) == {"written": 6, "removed": 0}  # 2 files, 4 load tables
    files = sorted(p.name for p in (lake / EVENTS).iterdir())
    assert len(files) == 2 and all(not f.startswith(("_", ".")) for f in files)
    # the lake's rows are raw's, instants unchanged (written with their zone, UTC)
    lake_rows = _lake_rows(
        lake,
        "select event_id, occurred_at, _file_path from read_parquet('{lake}/engagement_events/*')"
        " order by event_id",
    )
    raw_rows = landing.query(
        "select event_id, occurred_at, _file_path from raw.engagement_events order by event_id"
    )
    assert [(e, str(t)[:19], p) for e, t, p in lake_rows] == [
        (e, str(t)[:19], p) for e, t, p in raw_rows
    ]
    assert str(lake_rows[0][1]).endswith("+00:00")  # an instant, not a local time
    manifest = _lake_rows(lake, "select count(*) from read_parquet('{lake}/load_manifest/*')")
    assert manifest == [(2,)]
    assert not (lake / "_load_manifest").exists()

    # nothing new: the files already written are left as they are
    written = {p: p.stat().st_mtime_ns for p in (lake / EVENTS).iterdir()}
    assert _sync(landing, lake)["written"] == 4  # the load tables only
    assert {p: p.stat().st_mtime_ns for p in (lake / EVENTS).iterdir()} == written

    # a forgotten delivery leaves the lake too
    forget_file(landing.warehouse, first)
    assert _sync(landing, lake)["removed"] == 1
    assert _lake_rows(lake, "select count(*) from read_parquet('{lake}/engagement_events/*')") == [
        (2,)
    ]


def test_a_table_without_files_is_an_empty_file_with_its_columns(
    landing: Landing, tmp_path: Path
) -> None:
    path = landing.write(EVENTS, "a.csv", csv_text(EVENT_HEADER, [event_row(1)]))
    load_entity(landing.warehouse, landing.dir, EVENTS, min_age_seconds=0)
    forget_file(landing.warehouse, path)
    lake = tmp_path / "lake"
    _sync(landing, lake)
    assert [p.name for p in (lake / EVENTS).iterdir()] == [EMPTY_FILE]
    columns = _lake_rows(lake, "describe select * from read_parquet('{lake}/engagement_events/*')")
    assert {"event_id", "occurred_at", "_file_path"} <= {c[0] for c in columns}
    # a later delivery replaces it
    landing.write(EVENTS, "b.csv", csv_text(EVENT_HEADER, [event_row(2)]))
    load_entity(landing.warehouse, landing.dir, EVENTS, min_age_seconds=0)
    _sync(landing, lake)
    assert EMPTY_FILE not in [p.name for p in (lake / EVENTS).iterdir()]


def test_a_killed_sync_leaves_only_hidden_files_which_the_next_removes(
    landing: Landing, tmp_path: Path
) -> None:
    landing.write(EVENTS, "a.csv", csv_text(EVENT_HEADER, [event_row(1)]))
    load_entity(landing.warehouse, landing.dir, EVENTS, min_age_seconds=0)
    lake = tmp_path / "lake"
    (lake / EVENTS).mkdir(parents=True)
    (lake / EVENTS / ".half-written.parquet").write_bytes(b"PAR1")
    _sync(landing, lake)
    assert [p.name for p in (lake / EVENTS).iterdir() if p.name.startswith(".")] == []
