"""Files are loaded once complete, large values load, and whatever goes wrong with one file
rejects that file with a reason a person can act on, never the load."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import pytest
from loading_builders import EVENT_HEADER, Landing, csv_text, event_row

from orchestration.load_status import print_load_status
from orchestration.loading import MANIFEST_TABLE, QUARANTINE_TABLE, load_entity, waiting_files
from orchestration.loading import load as load_module
from orchestration.loading.reasons import REASON_MAX_CHARS
from orchestration.settings import LANDING_MIN_AGE_ENV, FunnelPaths, landing_min_age_seconds
from orchestration.synthetic import generate

ENTITY = "engagement_events"
HOUR = 3600.0


def _events(first: int, n: int = 2) -> str:
    return csv_text(EVENT_HEADER, [event_row(i) for i in range(first, first + n)])


def _age(path: Path, seconds: float) -> None:
    """Date the file's last modification `seconds` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))


# --- Complete files only -----------------------------------------------------------------------


def test_a_recent_file_waits_and_loads_on_the_next_run(landing: Landing) -> None:
    settled = landing.write(ENTITY, "a_settled.csv", _events(1))
    _age(settled, 2 * HOUR)
    recent = landing.write(ENTITY, "b_recent.csv", _events(10))
    first = load_entity(landing.warehouse, landing.dir, ENTITY, min_age_seconds=HOUR)
    assert [(f.path.name, f.status) for f in first.files] == [("a_settled.csv", "loaded")]
    assert first.waiting == [recent]
    assert landing.query(f"select file_name from {MANIFEST_TABLE}") == [("a_settled.csv",)]

    _age(recent, 2 * HOUR)  # the copy finished long ago
    second = load_entity(landing.warehouse, landing.dir, ENTITY, min_age_seconds=HOUR)
    assert [(f.path.name, f.status) for f in second.files] == [("b_recent.csv", "loaded")]
    assert second.waiting == []
    assert landing.scalar("select count(*) from raw.engagement_events") == 4


def test_a_done_marker_makes_a_file_complete_at_once(landing: Landing) -> None:
    path = landing.write(ENTITY, "events.csv", _events(1))
    landing.write(ENTITY, "events.csv.done", b"")
    result = load_entity(landing.warehouse, landing.dir, ENTITY, min_age_seconds=HOUR)
    assert [(f.path.name, f.status) for f in result.files] == [("events.csv", "loaded")]
    assert result.waiting == []
    # The marker itself is no landing file: never rejected, never listed.
    assert landing.query(f"select file_path from {MANIFEST_TABLE}") == [(str(path),)]


def test_files_still_in_transfer_wait_and_are_never_rejected(landing: Landing) -> None:
    partial = landing.write(ENTITY, "events.csv.part", _events(1))
    _age(partial, 2 * HOUR)
    result = load_entity(landing.warehouse, landing.dir, ENTITY, min_age_seconds=0)
    assert result.files == []
    assert result.waiting == [partial]
    assert waiting_files(landing.dir, ENTITY, 0) == [partial]


def test_a_file_that_changes_while_it_is_read_waits(
    landing: Landing, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = landing.write(ENTITY, "growing.csv", _events(1))
    scan_file = load_module.scan_file

    def scan_while_appending(scanned: Path):
        scan = scan_file(scanned)
        with scanned.open("a") as handle:
            handle.write(",".join(event_row(99)) + "\n")
        return scan

    monkeypatch.setattr(load_module, "scan_file", scan_while_appending)
    result = load_entity(landing.warehouse, landing.dir, ENTITY, min_age_seconds=0)
    assert (result.files, result.waiting) == ([], [path])
    monkeypatch.undo()
    [file] = load_entity(landing.warehouse, landing.dir, ENTITY, min_age_seconds=0).files
    assert (file.status, file.rows_loaded) == ("loaded", 3)


def test_the_minimum_age_comes_from_the_environment(
    landing: Landing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LANDING_MIN_AGE_ENV, "3600")
    assert landing_min_age_seconds() == HOUR
    path = landing.write(ENTITY, "events.csv", _events(1))
    assert load_entity(landing.warehouse, landing.dir, ENTITY).waiting == [path]
    monkeypatch.delenv(LANDING_MIN_AGE_ENV)
    assert landing_min_age_seconds() == 10
    monkeypatch.setenv(LANDING_MIN_AGE_ENV, "soon")
    with pytest.raises(ValueError, match=LANDING_MIN_AGE_ENV):
        landing_min_age_seconds()


def test_generated_files_are_dated_so_that_the_next_run_takes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LANDING_MIN_AGE_ENV, "600")
    summary = generate(tmp_path / "landing", contacts=10, events=20, seed=5)
    files = [path for paths in summary.files.values() for path in paths]
    assert files
    for path in files:
        assert time.time() - path.stat().st_mtime > 600, path
    assert all(waiting_files(tmp_path / "landing", e, 600) == [] for e in summary.files)


def test_status_shows_waiting_files_and_one_line_reasons(
    funnel_home: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    paths = FunnelPaths(funnel_home)
    folder = paths.landing / ENTITY
    folder.mkdir(parents=True)
    (folder / "foo.csv").write_text("foo,bar,baz\n1,2,3\n")
    load_entity(paths.warehouse, paths.landing, ENTITY, min_age_seconds=0)
    (folder / "late.csv").write_text(_events(1))
    monkeypatch.setenv(LANDING_MIN_AGE_ENV, "3600")
    print_load_status(paths)
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if "foo.csv" in line]
    assert row.endswith(
        "| engagement_events | foo.csv | rejected | 0 | 0 | 0 | no column matches the contract:"
        " the first line (foo, bar, baz) names none of the columns engagement_events needs"
        " (event_id, event_type, occurred_at, contact_id or email); add a header line naming"
        " the columns and drop the file again"
    )
    assert "Waiting in landing" in out
    assert "engagement_events/late.csv" in out


# --- Large values, and the header's message ----------------------------------------------------


def test_a_valid_csv_with_a_30_mb_value_loads_with_its_neighbours(landing: Landing) -> None:
    big = "é" * (15 << 20)  # 30 MB of UTF-8
    content = (
        f'contact_id,first_name,email\nk1,"{big}",a@b.fr\nk2,Bob,b@c.fr\nk3,"multi\nline",c@d.fr\n'
    )
    landing.write("contacts", "big_value.csv", content)
    [file] = load_entity(landing.warehouse, landing.dir, "contacts", min_age_seconds=0).files
    assert (file.status, file.rows_read, file.rows_loaded, file.rows_quarantined) == (
        "loaded",
        3,
        3,
        0,
    ), file.reason
    rows = landing.query(
        "select contact_id, length(first_name), _line_number from raw.contacts order by 1"
    )
    assert rows == [("k1", len(big), 2), ("k2", 3, 3), ("k3", 10, 4)]


def test_a_large_value_next_to_a_broken_row_keeps_the_good_rows(landing: Landing) -> None:
    content = (
        "contact_id,first_name,email\n"
        f'k1,"{"y" * (12 << 20)}",a@b.fr\n'
        'k2,"Bob,b@c.fr\n'
        "k3,Ann,c@d.fr\n"
    )
    landing.write("contacts", "mixed.csv", content)
    [file] = load_entity(landing.warehouse, landing.dir, "contacts", min_age_seconds=0).files
    assert (file.status, file.rows_loaded, file.rows_quarantined) == ("loaded", 2, 1)
    [(line, kind, reason)] = landing.query(
        f"select line_number, reason_kind, reason from {QUARANTINE_TABLE}"
    )
    assert (line, kind) == (3, "broken_quoting")
    assert reason == "broken quoting: a quote opened on this line is never closed"


def test_a_header_naming_no_contract_column_says_what_is_needed(landing: Landing) -> None:
    landing.write("contacts", "foo.csv", "foo,bar,baz\n1,2,3\n")
    [file] = load_entity(landing.warehouse, landing.dir, "contacts", min_age_seconds=0).files
    assert file.status == "rejected"
    assert file.reason == (
        "no column matches the contract: the first line (foo, bar, baz) names none of the"
        " columns contacts needs (contact_id, email or company_id); add a header line naming"
        " the columns and drop the file again"
    )


# --- Unexpected errors reject a file; the machine's stop the load ------------------------------


def test_an_unexpected_error_rejects_only_that_file(
    landing: Landing, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing.write(ENTITY, "a_bad.csv", _events(1))
    landing.write(ENTITY, "b_good.csv", _events(10))
    insert_staged = load_module.insert_staged

    def failing(connection, entity, staged, columns, load_id, path, suppression=None):
        if path.name == "a_bad.csv":
            raise ValueError(f"something odd in {path}\nat /tmp/x/y/.loading-w-1.csv " + "z" * 500)
        return insert_staged(connection, entity, staged, columns, load_id, path, suppression)

    monkeypatch.setattr(load_module, "insert_staged", failing)
    result = load_entity(landing.warehouse, landing.dir, ENTITY, min_age_seconds=0)
    [bad, good] = result.files
    assert (bad.status, good.status) == ("rejected", "loaded")
    assert bad.reason.startswith(
        "the file could not be read (ValueError: something odd in a_bad.csv at a temporary copy"
        " of the file zzz"
    )
    assert len(bad.reason) < REASON_MAX_CHARS
    assert landing.scalar("select count(*) from raw.engagement_events") == 2
    assert landing.scalar(f"select count(*) from {QUARANTINE_TABLE}") == 0


def test_a_full_disk_stops_the_load(landing: Landing, monkeypatch: pytest.MonkeyPatch) -> None:
    landing.write(ENTITY, "a.csv", _events(1))

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(load_module, "insert_staged", disk_full)
    with pytest.raises(OSError, match="No space left"):
        load_entity(landing.warehouse, landing.dir, ENTITY, min_age_seconds=0)
    assert landing.scalar(f"select count(*) from {MANIFEST_TABLE}") == 0
