"""A file already in the manifest is recognised by its path, size and modification time, without
being read; a file whose size or time changed is read and identified by its content, as before."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from loading_builders import EVENT_HEADER, Landing, csv_text, event_row

from orchestration.loading import MANIFEST_TABLE, load_entity
from orchestration.loading import load as load_module

ENTITY = "engagement_events"
DAY_NS = 86_400 * 10**9


def _events(first: int, n: int = 3) -> str:
    return csv_text(EVENT_HEADER, [event_row(i) for i in range(first, first + n)])


def _set_mtime(path: Path, mtime_ns: int) -> None:
    os.utime(path, ns=(mtime_ns, mtime_ns))


@pytest.fixture
def files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the loader reads (hashes) from now on, in any thread."""
    names: list[str] = []
    scan_file = load_module.scan_file

    def counting(path: Path):
        names.append(path.name)
        return scan_file(path)

    monkeypatch.setattr(load_module, "scan_file", counting)
    return names


def _load(landing: Landing):
    return load_entity(landing.warehouse, landing.dir, ENTITY, min_age_seconds=0)


def _write_events(landing: Landing, n_files: int) -> list[Path]:
    return [landing.write(ENTITY, f"day-{i}.csv", _events(10 * i)) for i in range(n_files)]


def test_a_second_load_reads_none_of_the_files_it_loaded(
    landing: Landing, files_read: list[str]
) -> None:
    paths = _write_events(landing, 4)
    assert [f.status for f in _load(landing).files] == ["loaded"] * 4
    assert sorted(files_read) == [p.name for p in paths]
    files_read.clear()
    assert _load(landing).files == []
    assert files_read == []
    recorded = landing.query(f"select file_name, file_size, file_mtime_ns from {MANIFEST_TABLE}")
    stats = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in paths}
    assert {name: (size, mtime) for name, size, mtime in recorded} == stats


def test_only_the_new_file_is_read(landing: Landing, files_read: list[str]) -> None:
    _write_events(landing, 3)
    _load(landing)
    files_read.clear()
    landing.write(ENTITY, "day-9.csv", _events(90))
    assert [(f.path.name, f.status) for f in _load(landing).files] == [("day-9.csv", "loaded")]
    assert files_read == ["day-9.csv"]


def test_the_path_size_and_time_are_the_identity_of_a_known_file(
    landing: Landing, files_read: list[str]
) -> None:
    """The evidence that a known file is not read: new bytes of the same size, dated as the
    loaded ones, are taken for them (like rsync's quick check); any other change is seen."""
    [path] = _write_events(landing, 1)
    _load(landing)
    mtime = path.stat().st_mtime_ns
    path.write_text(_events(0).replace("page_viewed", "page_VIEWED"))
    _set_mtime(path, mtime)
    assert _load(landing).files == []
    assert (
        landing.scalar(
            "select count(*) from raw.engagement_events where event_type = ?", ["page_VIEWED"]
        )
        == 0
    )
    _set_mtime(path, mtime - DAY_NS)
    [changed] = _load(landing).files
    assert (changed.status, changed.rows_loaded) == ("loaded", 3)
    assert (
        landing.scalar(
            "select count(*) from raw.engagement_events where event_type = ?", ["page_VIEWED"]
        )
        == 3
    )


def test_a_touched_file_is_read_once_and_recognised_by_its_content(
    landing: Landing, files_read: list[str]
) -> None:
    [path] = _write_events(landing, 1)
    _load(landing)
    _set_mtime(path, path.stat().st_mtime_ns - DAY_NS)
    files_read.clear()
    assert _load(landing).files == []  # same content: nothing new, nothing recorded
    assert files_read == ["day-0.csv"]
    assert landing.query(f"select file_mtime_ns from {MANIFEST_TABLE}") == [
        (path.stat().st_mtime_ns,)
    ]
    files_read.clear()
    assert _load(landing).files == []
    assert files_read == []


def test_a_renamed_file_is_read_and_skipped_as_the_same_content(
    landing: Landing, files_read: list[str]
) -> None:
    [path] = _write_events(landing, 1)
    _load(landing)
    files_read.clear()
    path.rename(path.with_name("renamed.csv"))
    [renamed] = _load(landing).files
    assert (renamed.path.name, renamed.status) == ("renamed.csv", "skipped")
    assert files_read == ["renamed.csv"]
    assert landing.scalar("select count(*) from raw.engagement_events") == 3


def test_a_changed_file_of_the_same_size_loads_as_a_new_version(landing: Landing) -> None:
    [path] = _write_events(landing, 1)
    _load(landing)
    mtime = path.stat().st_mtime_ns
    path.write_text(_events(0).replace("page_viewed", "page_VIEWED"))
    _set_mtime(path, mtime - 1)
    [changed] = _load(landing).files
    assert (changed.status, changed.rows_loaded) == ("loaded", 3)


def test_a_manifest_without_times_is_completed_by_the_next_load(
    landing: Landing, files_read: list[str]
) -> None:
    """A warehouse written by a loader that recorded no modification time keeps working: its files
    are read once more, recognised by content, and their times recorded."""
    _write_events(landing, 2)
    _load(landing)
    with load_module.connect(landing.warehouse) as connection:
        connection.execute(f"alter table {MANIFEST_TABLE} drop column file_mtime_ns")
    files_read.clear()
    assert _load(landing).files == []
    assert sorted(files_read) == ["day-0.csv", "day-1.csv"]
    assert landing.scalar(f"select count(*) from {MANIFEST_TABLE} where file_mtime_ns is null") == 0
    files_read.clear()
    assert _load(landing).files == []
    assert files_read == []
    assert landing.scalar("select count(*) from raw.engagement_events") == 6


def test_a_file_that_changes_after_it_was_read_ahead_waits(
    landing: Landing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are read ahead of their loading; one that changes in between is left for later."""
    path = landing.write(ENTITY, "growing.csv", _events(1))
    scan = load_module._scan

    def scan_then_append(scanned: Path):
        result = scan(scanned)
        with scanned.open("a") as handle:
            handle.write(",".join(event_row(99)) + "\n")
        return result

    monkeypatch.setattr(load_module, "_scan", scan_then_append)
    result = _load(landing)
    assert (result.files, result.waiting) == ([], [path])
    monkeypatch.undo()
    [file] = _load(landing).files
    assert (file.status, file.rows_loaded) == ("loaded", 4)
