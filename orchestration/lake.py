"""The raw lake: the warehouse's raw tables as Parquet files, which the Spark engine reads.

`funnel run --engine spark` builds the models on Spark, which cannot read a DuckDB file. Before
each Spark build the load's raw rows are mirrored under FUNNEL_HOME/lake/, one folder per table:

- an entity's table (`contacts`, `engagement_events`, ...) holds one immutable file per loaded
  landing file, `<load_id>-<hash of its path>.parquet`, written once when the file is first seen
  loaded and removed when the delivery is forgotten (`funnel forget`);
- the load's own tables (`load_manifest`, `quarantine`, `forgotten_files`,
  `opted_out_contacts`: `_load_manifest` and so on in the warehouse; Spark skips files and
  folders whose names start with `_` or `.`) are small and change with every load: each is
  written whole, as one file.

Timestamps are written as UTC instants (DuckDB's `TIMESTAMP` would reach Spark as
`timestamp_ntz`). Every file is written under a hidden name, then renamed: a reader never sees
half a file, and a killed sync leaves only hidden files, which the next one removes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from orchestration.contract import ENTITIES
from orchestration.loading.sql import literal, quote
from orchestration.loading.tables import (
    FORGOTTEN_TABLE,
    MANIFEST_TABLE,
    OPTED_OUT_CONTACTS_TABLE,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    table_exists,
)

# The load's own tables, as the lake names them (no leading underscore).
LOAD_TABLES = {
    "load_manifest": MANIFEST_TABLE,
    "quarantine": QUARANTINE_TABLE,
    "forgotten_files": FORGOTTEN_TABLE,
    "opted_out_contacts": OPTED_OUT_CONTACTS_TABLE,
}


# What an entity's folder holds while no file of it is loaded.
EMPTY_FILE = "empty.parquet"


def loaded_file_name(load_id: str, file_path: str) -> str:
    """The lake file of one loaded landing file: its load and a hash of its path."""
    return f"{load_id}-{hashlib.sha256(file_path.encode()).hexdigest()[:16]}.parquet"


def _select_utc(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    """The table's columns, each `TIMESTAMP` as an instant in UTC."""
    schema, name = table.split(".")
    columns = connection.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return ", ".join(
        f"cast({quote(column)} as timestamptz) as {quote(column)}"
        if data_type == "TIMESTAMP"
        else quote(column)
        for column, data_type in columns
    )


def _write(connection: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    """Write the query's rows to `path` as Parquet, atomically."""
    incoming = path.with_name(f".{path.name}")
    connection.execute(f"copy ({query}) to '{incoming}' (format parquet)")
    incoming.replace(path)


def sync_lake(connection: duckdb.DuckDBPyConnection, lake: Path) -> dict[str, int]:
    """Make the lake mirror the raw tables of the warehouse `connection` is open on; how many
    files were written and removed."""
    connection.execute("set TimeZone = 'UTC'")
    written = removed = 0
    loaded = (
        connection.execute(
            f"select entity, load_id, file_path from {MANIFEST_TABLE} where status = 'loaded'"
        ).fetchall()
        if table_exists(connection, MANIFEST_TABLE)
        else []
    )
    for entity in ENTITIES.values():
        folder = lake / entity.name
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".*"):
            stale.unlink()
        wanted = {
            loaded_file_name(load_id, file_path): file_path
            for name, load_id, file_path in loaded
            if name == entity.name
        }
        table = f"{RAW_SCHEMA}.{entity.name}"
        if not table_exists(connection, table):
            continue
        if not wanted:  # Spark reads a table's columns from its files: one without rows
            wanted = {EMPTY_FILE: None}
        for file in folder.glob("*.parquet"):
            if file.name not in wanted:
                file.unlink()
                removed += 1
        columns = _select_utc(connection, table)
        for name, file_path in wanted.items():
            if not (folder / name).exists():
                rows = "false" if file_path is None else f"_file_path = {literal(file_path)}"
                _write(connection, f"select {columns} from {table} where {rows}", folder / name)
                written += 1
    for name, table in LOAD_TABLES.items():
        folder = lake / name
        folder.mkdir(parents=True, exist_ok=True)
        if table_exists(connection, table):
            _write(
                connection,
                f"select {_select_utc(connection, table)} from {table}",
                folder / "rows.parquet",
            )
            written += 1
    return {"written": written, "removed": removed}
