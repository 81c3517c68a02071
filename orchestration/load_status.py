"""`funnel status`: the load manifest's recent files, the quarantine by reason, and the landing
files waiting to be complete."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from orchestration.contract import ENTITIES
from orchestration.loading import (
    MANIFEST_TABLE,
    QUARANTINE_TABLE,
    reconcile,
    table_exists,
    unknown_landing_entries,
    waiting_files,
)
from orchestration.loading.reasons import one_line
from orchestration.settings import FunnelPaths, landing_min_age_seconds


def _rows(connection: duckdb.DuckDBPyConnection, limit: int) -> tuple[list, list, list, dict]:
    files = connection.execute(
        f"""
        select finished_at, entity, file_name, status, rows_read, rows_loaded,
            rows_quarantined, coalesce(reason, '')
        from {MANIFEST_TABLE} order by finished_at desc, file_path limit ?
        """,
        [limit],
    ).fetchall()
    reasons = connection.execute(
        f"""
        select entity, coalesce(reason_kind, regexp_replace(reason, ':.*$', '')), count(*)
        from {QUARANTINE_TABLE} group by all order by 3 desc, 1, 2
        """
    ).fetchall()
    mismatches = []
    for entity in ENTITIES:
        mismatches += [(entity, m) for m in reconcile(connection, entity)]
    # When each file was last taken (UTC epoch seconds): a file unchanged since is not waiting.
    handled = dict(
        connection.execute(
            f"select file_path, epoch(max(started_at)) from {MANIFEST_TABLE} group by 1"
        ).fetchall()
    )
    return files, reasons, mismatches, handled


def recorded_files(paths: FunnelPaths) -> int | None:
    """How many landing files the load manifest records (loaded, rejected, skipped); None when
    the warehouse cannot be read (the load then says why)."""
    if not paths.warehouse.exists():
        return 0
    try:
        with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
            if not table_exists(connection, MANIFEST_TABLE):
                return 0
            return connection.execute(f"select count(*) from {MANIFEST_TABLE}").fetchone()[0]
    except duckdb.Error:
        return None


def print_load_status(paths: FunnelPaths, limit: int = 20) -> None:
    """Recent files with their fate, quarantined rows by reason, and anything that needs a look."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        if not table_exists(connection, MANIFEST_TABLE):
            print(f"No load yet in {paths.warehouse}: run `funnel load`.")
            return
        files, reasons, mismatches, handled = _rows(connection, limit)
    print(f"Recent landing files ({paths.landing}):")
    header = ("loaded at", "entity", "file", "status", "read", "loaded", "quarantined", "reason")
    print("  " + " | ".join(header))
    for finished_at, *rest, reason in files:
        # one_line: reasons written by an older loader may span lines
        values = [*(str(v) for v in rest), one_line(reason)]
        print(f"  {finished_at:%Y-%m-%d %H:%M:%S} | " + " | ".join(values))
    print_waiting(paths, handled)
    print("\nQuarantined rows by reason (all loads; details in raw._quarantine):")
    if not reasons:
        print("  none")
    for entity, reason, count in reasons:
        print(f"  {entity:<18} {reason:<48} {count:>10,}")
    unknown = unknown_landing_entries(paths.landing)
    if unknown:
        print(
            "\nIgnored in landing (not an entity folder; move files into one of "
            f"{', '.join(ENTITIES)}):"
        )
        for path in unknown:
            print(f"  {path.relative_to(paths.landing)}{'/' if path.is_dir() else ''}")
    if mismatches:
        print("\nFiles whose rows do not reconcile (re-load them, see docs/loading.md):")
        for entity, m in mismatches:
            print(
                f"  {entity:<18} {m.file_path}: read {m.rows_read}, in raw {m.rows_in_raw},"
                f" in quarantine {m.rows_in_quarantine}"
            )


def _changed_since(path: Path, handled_at: float | None) -> bool:
    try:
        return handled_at is None or path.stat().st_mtime > handled_at
    except OSError:
        return False


def print_waiting(paths: FunnelPaths, handled: dict[str, float]) -> None:
    """Landing files the next load will not take yet: too recent, or still being transferred.

    `handled`: when each landing file was last loaded, rejected or skipped (a file not changed
    since is not waiting for anything).
    """
    min_age = landing_min_age_seconds()
    now = time.time()
    waiting = [
        p
        for entity in ENTITIES
        for p in waiting_files(paths.landing, entity, min_age)
        if _changed_since(p, handled.get(str(p)))
    ]
    if not waiting:
        return
    print(
        f"\nWaiting in landing (modified less than {min_age:g}s ago, or still in transfer;"
        " loaded once complete):"
    )
    for path in waiting:
        try:
            age = f"modified {now - path.stat().st_mtime:,.0f}s ago"
        except OSError:
            age = "gone"
        print(f"  {path.relative_to(paths.landing)}  ({age})")
