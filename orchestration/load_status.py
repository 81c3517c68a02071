"""`funnel status`: the load manifest's recent files and the quarantine by reason."""

from __future__ import annotations

import duckdb

from orchestration.loading import MANIFEST_TABLE, QUARANTINE_TABLE
from orchestration.settings import FunnelPaths


def print_load_status(paths: FunnelPaths, limit: int = 20) -> None:
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
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
            select entity, regexp_replace(reason, ':.*$', '') as reason_kind, count(*)
            from {QUARANTINE_TABLE} group by all order by 3 desc
            """
        ).fetchall()
    print(f"Recent landing files ({paths.landing}):")
    header = ("loaded at", "entity", "file", "status", "read", "loaded", "quarantined", "reason")
    print("  " + " | ".join(header))
    for row in files:
        finished_at, *rest = row
        print(f"  {finished_at:%Y-%m-%d %H:%M:%S} | " + " | ".join(str(v) for v in rest))
    print("\nQuarantined rows by reason:")
    if not reasons:
        print("  none")
    for entity, reason, count in reasons:
        print(f"  {entity:<18} {reason:<48} {count:>10,}")
