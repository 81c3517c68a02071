"""`funnel status`: the load manifest's recent files and the quarantine by reason."""

from __future__ import annotations

import duckdb

from orchestration.contract import ENTITIES
from orchestration.loading import (
    MANIFEST_TABLE,
    QUARANTINE_TABLE,
    reconcile,
    table_exists,
    unknown_landing_entries,
)
from orchestration.settings import FunnelPaths


def _rows(connection: duckdb.DuckDBPyConnection, limit: int) -> tuple[list, list, list]:
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
    return files, reasons, mismatches


def print_load_status(paths: FunnelPaths, limit: int = 20) -> None:
    """Recent files with their fate, quarantined rows by reason, and anything that needs a look."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        if not table_exists(connection, MANIFEST_TABLE):
            print(f"No load yet in {paths.warehouse}: run `funnel load`.")
            return
        files, reasons, mismatches = _rows(connection, limit)
    print(f"Recent landing files ({paths.landing}):")
    header = ("loaded at", "entity", "file", "status", "read", "loaded", "quarantined", "reason")
    print("  " + " | ".join(header))
    for finished_at, *rest in files:
        print(f"  {finished_at:%Y-%m-%d %H:%M:%S} | " + " | ".join(str(v) for v in rest))
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
