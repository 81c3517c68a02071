"""Forgetting a file, so that the next load takes it again.

See docs/loading.md, "Re-loading a file".
"""

from __future__ import annotations

from pathlib import Path

from orchestration.contract import ENTITIES
from orchestration.loading.tables import (
    MANIFEST_TABLE,
    QUARANTINE_TABLE,
    connect,
    ensure_load_tables,
    ensure_raw_table,
    raw_table,
)


def forget_file(warehouse: Path, path: Path) -> int:
    """Remove a file's manifest rows, raw rows and quarantined rows, so the next load takes it
    again (for example after a contract change made a rejected file loadable). Returns the number
    of manifest rows removed."""
    with connect(warehouse) as connection:
        ensure_load_tables(connection)
        file_path = str(path)
        entities = [
            row[0]
            for row in connection.execute(
                f"select distinct entity from {MANIFEST_TABLE} where file_path = ?", [file_path]
            ).fetchall()
        ]
        connection.execute("begin transaction")
        for name in entities:
            if name in ENTITIES:
                ensure_raw_table(connection, ENTITIES[name], [])
                table = raw_table(ENTITIES[name])
                connection.execute(f"delete from {table} where _file_path = ?", [file_path])
        connection.execute(f"delete from {QUARANTINE_TABLE} where file_path = ?", [file_path])
        removed = connection.execute(
            f"delete from {MANIFEST_TABLE} where file_path = ?", [file_path]
        ).fetchone()[0]
        connection.execute("commit")
    return removed
