"""Forgetting a file or a whole load, so that the next load takes it again (or never again, when
the file is gone from landing): `funnel forget`.

See docs/loading.md, "Undoing a delivery".
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import duckdb

from orchestration.contract import ENTITIES
from orchestration.loading.tables import (
    FORGOTTEN_TABLE,
    MANIFEST_TABLE,
    QUARANTINE_TABLE,
    connect,
    ensure_load_tables,
    ensure_raw_table,
    raw_table,
    table_exists,
    utc_now,
)


class LoadedFile(NamedTuple):
    """A file of the manifest, as `funnel forget` shows it before forgetting it."""

    load_id: str
    entity: str
    file_path: str
    status: str
    rows_loaded: int
    rows_quarantined: int


def loaded_files(
    warehouse: Path, *, path: Path | None = None, load_id: str | None = None
) -> list[LoadedFile]:
    """The manifest's files with this path (absolute, as in the manifest) or of this load."""
    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        if not table_exists(connection, MANIFEST_TABLE):
            return []
        column, value = ("file_path", str(path)) if path is not None else ("load_id", load_id)
        rows = connection.execute(
            f"""
            select load_id, entity, file_path, status, rows_loaded, rows_quarantined
            from {MANIFEST_TABLE} where {column} = ? order by entity, file_path
            """,
            [value],
        ).fetchall()
    return [LoadedFile(*row) for row in rows]


def forget_file(warehouse: Path, path: Path) -> int:
    """Remove a file's manifest rows, raw rows and quarantined rows in one transaction, so the
    next load takes it again if it is still in landing, and record that it was forgotten.
    Returns the number of manifest rows removed."""
    return forget_files(warehouse, [path])


def forget_files(warehouse: Path, paths: list[Path]) -> int:
    """`forget_file` for several files (a whole load) in one transaction."""
    with connect(warehouse) as connection:
        ensure_load_tables(connection)
        connection.execute("begin transaction")
        removed = 0
        for path in paths:
            removed += _forget(connection, str(path))
        connection.execute("commit")
    return removed


def _forget(connection: duckdb.DuckDBPyConnection, file_path: str) -> int:
    entities = [
        row[0]
        for row in connection.execute(
            f"select distinct entity from {MANIFEST_TABLE} where file_path = ?", [file_path]
        ).fetchall()
    ]
    for name in entities:
        if name in ENTITIES:
            ensure_raw_table(connection, ENTITIES[name], [])
            table = raw_table(ENTITIES[name])
            connection.execute(f"delete from {table} where _file_path = ?", [file_path])
    connection.execute(
        f"""
        insert into {FORGOTTEN_TABLE}
        select load_id, entity, file_path, rows_loaded, rows_quarantined, ?
        from {MANIFEST_TABLE} where file_path = ?
        """,
        [utc_now(), file_path],
    )
    connection.execute(f"delete from {QUARANTINE_TABLE} where file_path = ?", [file_path])
    return connection.execute(
        f"delete from {MANIFEST_TABLE} where file_path = ?", [file_path]
    ).fetchone()[0]


def last_forgotten_at(warehouse: Path) -> datetime | None:
    """When a file was last forgotten (UTC, naive), or None."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        if not table_exists(connection, FORGOTTEN_TABLE):
            return None
        return connection.execute(f"select max(forgotten_at) from {FORGOTTEN_TABLE}").fetchone()[0]
