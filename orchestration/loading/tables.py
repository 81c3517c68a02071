"""The loader's tables in the warehouse: the load manifest, the quarantine and the raw tables.

`connect` opens the working warehouse; `ensure_load_tables` creates the manifest, the quarantine,
the forgotten files and the opted-out contacts (or adds the columns an older loader did not
write); `ensure_raw_table` creates an entity's raw table and adds the extra columns a file brings
(schema drift).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.contract import ColumnKind, Entity
from orchestration.loading.sql import quote
from orchestration.settings import FunnelPaths, duckdb_config

RAW_SCHEMA = "raw"
MANIFEST_TABLE = f"{RAW_SCHEMA}._load_manifest"
QUARANTINE_TABLE = f"{RAW_SCHEMA}._quarantine"

DUCKDB_TYPES: dict[ColumnKind, str] = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}

# Why a row was quarantined: the first word of every quarantine reason, and `reason_kind`.
BROKEN_QUOTING = "broken_quoting"
WRONG_FIELD_COUNT = "wrong_field_count"
INVALID_JSON = "invalid_json"
MISSING_REQUIRED_VALUE = "missing_required_value"
UNPARSEABLE_VALUE = "unparseable_value"
# a row of a person erased (`funnel forget --email`): its values are not kept, only this reason
SUPPRESSED = "suppressed"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def connect(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the working warehouse for writing; always closed, so no lock outlives the load."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(warehouse), config=duckdb_config(FunnelPaths(warehouse.parent)))
    try:
        connection.execute("set TimeZone = 'UTC'")
        yield connection
    finally:
        connection.close()


MANIFEST_COLUMNS = {
    "load_id": "varchar not null",
    "entity": "varchar not null",
    "file_path": "varchar not null",
    "file_name": "varchar not null",
    "file_size": "bigint not null",
    "content_hash": "varchar not null",
    "status": "varchar not null",
    "reason": "varchar",
    "rows_read": "bigint not null",
    "rows_loaded": "bigint not null",
    "rows_quarantined": "bigint not null",
    "started_at": "timestamp not null",
    "finished_at": "timestamp not null",
    "file_format": "varchar",
    "encoding": "varchar",
    "delimiter": "varchar",
    "extra_columns": "varchar",
    # nanoseconds since 1970 when the file was read: with its path and size, how the next load
    # recognises it unread; null for a file that could not be read (and in older manifests)
    "file_mtime_ns": "bigint",
}
# One row per file forgotten (`funnel forget`): what it held, and when it was forgotten, so the
# next run's volume checks take their counts as the new baseline.
FORGOTTEN_TABLE = f"{RAW_SCHEMA}._forgotten_files"
# one row per person erased (`funnel forget --email`): no identifier, when and how many rows
ERASURES_TABLE = f"{RAW_SCHEMA}._erasures"
FORGOTTEN_COLUMNS = {
    "load_id": "varchar not null",
    "entity": "varchar not null",
    "file_path": "varchar not null",
    "rows_loaded": "bigint not null",
    "rows_quarantined": "bigint not null",
    "forgotten_at": "timestamp not null",
}
# One row per contact id loaded for a person who opted out, by this record or any other of the
# same email or id, before or since (the suppression list remembers them): whatever a later
# record says, they never become contactable again.
OPTED_OUT_CONTACTS_TABLE = f"{RAW_SCHEMA}._opted_out_contacts"
OPTED_OUT_CONTACTS_COLUMNS = {
    "contact_id": "varchar not null",  # trimmed, as delivered
    "load_id": "varchar not null",  # the load that first found it opted out
    "listed_at": "timestamp not null",
}
QUARANTINE_COLUMNS = {
    "load_id": "varchar not null",
    "entity": "varchar not null",
    "file_path": "varchar not null",
    "line_number": "bigint not null",
    "reason": "varchar not null",
    "raw_record": "varchar not null",
    "quarantined_at": "timestamp not null",
    "reason_kind": "varchar",
}


def table_exists(connection: duckdb.DuckDBPyConnection, qualified_name: str) -> bool:
    schema, name = qualified_name.split(".")
    query = (
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    )
    return bool(connection.execute(query, [schema, name]).fetchone()[0])


def column_exists(connection: duckdb.DuckDBPyConnection, qualified_name: str, column: str) -> bool:
    """Whether a table has a column (a warehouse built by an earlier version may lack it)."""
    schema, name = qualified_name.split(".")
    query = (
        "select count(*) from information_schema.columns"
        " where table_schema = ? and table_name = ? and column_name = ?"
    )
    return bool(connection.execute(query, [schema, name, column]).fetchone()[0])


def _ensure_table(connection: duckdb.DuckDBPyConnection, table: str, columns: dict) -> None:
    """Create the table, or add the columns a warehouse written by an older loader lacks."""
    definition = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    connection.execute(f"create table if not exists {table} ({definition})")
    schema, name = table.split(".")
    present = {
        row[0]
        for row in connection.execute(
            "select column_name from information_schema.columns"
            " where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    for column, kind in columns.items():
        if column not in present:  # altering only what is missing keeps a load with no file quick
            nullable = kind.replace(" not null", "")
            connection.execute(f"alter table {table} add column {column} {nullable}")


def ensure_load_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"create schema if not exists {RAW_SCHEMA}")
    _ensure_table(connection, MANIFEST_TABLE, MANIFEST_COLUMNS)
    _ensure_table(connection, QUARANTINE_TABLE, QUARANTINE_COLUMNS)
    _ensure_table(connection, FORGOTTEN_TABLE, FORGOTTEN_COLUMNS)
    _ensure_table(connection, OPTED_OUT_CONTACTS_TABLE, OPTED_OUT_CONTACTS_COLUMNS)


def raw_table(entity: Entity) -> str:
    return f"{RAW_SCHEMA}.{entity.name}"


def ensure_raw_table(
    connection: duckdb.DuckDBPyConnection, entity: Entity, extra_columns: Iterable[str]
) -> None:
    columns = [f"{quote(c.name)} {DUCKDB_TYPES[c.kind]}" for c in entity.columns]
    lineage = [
        "_load_id varchar not null",
        "_file_path varchar not null",
        "_line_number bigint not null",
        "_loaded_at timestamp not null",
    ]
    connection.execute(
        f"create table if not exists {raw_table(entity)} ({', '.join(columns + lineage)})"
    )
    for name in extra_columns:
        # Schema drift: extra columns are kept as text, never fatal.
        connection.execute(
            f"alter table {raw_table(entity)} add column if not exists {quote(name)} varchar"
        )
