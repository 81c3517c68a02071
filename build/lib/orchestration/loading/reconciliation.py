"""Reconciliation: for every loaded file, rows read = rows loaded + rows quarantined, and the raw
table and the quarantine hold exactly the rows the manifest says."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from orchestration.contract import ENTITIES
from orchestration.loading.tables import MANIFEST_TABLE, QUARANTINE_TABLE, raw_table, table_exists


@dataclass(frozen=True)
class Mismatch:
    """A loaded file whose counts do not add up, or raw rows no manifest row accounts for."""

    file_path: str
    load_id: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_in_raw: int
    rows_in_quarantine: int


def reconcile(connection: duckdb.DuckDBPyConnection, entity_name: str) -> list[Mismatch]:
    """Files of the entity where read != loaded + quarantined, or where the raw table and the
    quarantine do not hold exactly the rows the manifest says: the check behind the asset check."""
    entity = ENTITIES[entity_name]
    if not table_exists(connection, MANIFEST_TABLE):
        return []
    raw_counts = (
        f"select _file_path, _load_id, count(*) from {raw_table(entity)} group by all"
        if table_exists(connection, raw_table(entity))
        else "select null::varchar, null::varchar, 0 where false"
    )
    rows = connection.execute(
        f"""
        with manifest as (
            select file_path, load_id, rows_read, rows_loaded, rows_quarantined
            from {MANIFEST_TABLE} where entity = $entity and status = 'loaded'
        ),
        in_raw (file_path, load_id, n) as ({raw_counts}),
        in_quarantine as (
            select file_path, load_id, count(*) as n
            from {QUARANTINE_TABLE} where entity = $entity group by all
        ),
        files as (
            select file_path, load_id from manifest
            union select file_path, load_id from in_raw
            union select file_path, load_id from in_quarantine
        )
        select
            files.file_path, files.load_id,
            coalesce(manifest.rows_read, 0), coalesce(manifest.rows_loaded, 0),
            coalesce(manifest.rows_quarantined, 0),
            coalesce(in_raw.n, 0), coalesce(in_quarantine.n, 0)
        from files
        left join manifest using (file_path, load_id)
        left join in_raw using (file_path, load_id)
        left join in_quarantine using (file_path, load_id)
        where manifest.file_path is null
            or manifest.rows_read <> manifest.rows_loaded + manifest.rows_quarantined
            or manifest.rows_loaded <> coalesce(in_raw.n, 0)
            or manifest.rows_quarantined <> coalesce(in_quarantine.n, 0)
        order by all
        """,
        {"entity": entity_name},
    ).fetchall()
    return [Mismatch(*row) for row in rows]
