"""Which public tables changed since the last publication, so that only those are copied again.

A table's fingerprint is its published columns' names and types, its row count and the sum of
its rows' hashes: reading a table to hash it costs a fraction of writing it (no compression, no
write), and the sum does not depend on the order dbt wrote the rows in. Two different contents
share a fingerprint only if their 64-bit row-hash sums collide with equal row counts, which a
change of one row cannot cause except by a hash collision (about 1 in 2^64). A DuckDB upgrade
that changes `hash` only makes the next publication copy every table again. A table whose row
count differs from the previous publication's has changed: it is not hashed (the event grain
grows every day), and its fingerprint is recorded as unknown, so the next publication copies it
again unless its count changes again.

The previous publication is reused only while it stays compact: replacing a table in a copy of it
leaves the old table's blocks free in the file (DuckDB does not shrink a file), so when the
tables to replace, added to the free blocks it already has, exceed `max_free_share` of the file,
the publication starts from an empty file instead, which is then as small as its data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

PUBLIC_SCHEMA = "marts"
PUBLICATION_TABLE = "main.published_tables"
# Past this share of free blocks, a copy of the previous publication is not worth reusing.
DEFAULT_MAX_FREE_SHARE = 0.2


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class TableState:
    """A public table of the warehouse as it is to be published."""

    name: str
    kept_columns: list[str]
    dropped_columns: list[str]
    row_count: int
    fingerprint: str | None  # None: not hashed, its row count says it changed


@dataclass(frozen=True)
class PreviousTable:
    """A table of the previous publication: its row count, its fingerprint (None when it was not
    hashed) and since when it holds that content."""

    row_count: int
    fingerprint: str | None
    content_published_at: datetime


@dataclass(frozen=True)
class PublicationPlan:
    """What a publication does: the tables to copy, those kept as they are, those to drop."""

    tables: dict[str, TableState]
    previous: dict[str, PreviousTable]  # empty: start from an empty file
    changed: list[str]  # new or changed since the previous publication
    copied: list[str]  # the changed ones, or all when starting from an empty file
    kept: list[str]
    stale: list[str]  # published before, public no longer

    @property
    def starts_from_previous(self) -> bool:
        return bool(self.previous)


def table_state(
    connection: duckdb.DuckDBPyConnection,
    catalog: str,
    table: str,
    personal: frozenset[str],
    previous_row_count: int | None = None,
) -> TableState:
    """The table `catalog.marts.table` without its personal columns, and its fingerprint (None,
    without reading the rows, when its row count differs from `previous_row_count`)."""
    source = f"{catalog}.{PUBLIC_SCHEMA}.{quote_identifier(table)}"
    described = connection.execute(f"describe {source}").fetchall()
    lowered = {column.lower() for column in personal}
    kept = [(name, kind) for name, kind, *_ in described if name.lower() not in lowered]
    dropped = [name for name, *_ in described if name.lower() in lowered]
    columns = [name for name, _ in kept]
    rows = connection.execute(f"select count(*) from {source}").fetchone()[0]
    if previous_row_count is not None and rows != previous_row_count:
        return TableState(table, columns, dropped, rows, None)
    select = ", ".join(quote_identifier(name) for name in columns)
    hash_sum = connection.execute(
        f"select coalesce(sum(hash(t)::hugeint), 0) from (select {select} from {source}) as t"
    ).fetchone()[0]
    shape = ",".join(f"{name} {kind}" for name, kind in kept)
    fingerprint = hashlib.sha256(f"{shape}|{rows}|{hash_sum}".encode()).hexdigest()[:32]
    return TableState(table, columns, dropped, rows, fingerprint)


def previous_tables(
    connection: duckdb.DuckDBPyConnection, catalog: str
) -> dict[str, PreviousTable]:
    """The fingerprinted tables of a previous publication attached as `catalog` (none when it
    was written before publications kept fingerprints)."""
    columns = {
        row[0]
        for row in connection.execute(
            "select column_name from duckdb_columns()"
            " where database_name = ? and schema_name = 'main' and table_name = 'published_tables'",
            [catalog],
        ).fetchall()
    }
    if not {"fingerprint", "content_published_at"} <= columns:
        return {}
    present = {
        row[0]
        for row in connection.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ?",
            [catalog, PUBLIC_SCHEMA],
        ).fetchall()
    }
    rows = connection.execute(
        "select table_name, row_count, fingerprint, content_published_at"
        f" from {catalog}.{PUBLICATION_TABLE} where table_schema = '{PUBLIC_SCHEMA}'"
    ).fetchall()
    return {name: PreviousTable(*state) for name, *state in rows if name in present}


def _free_share_after(
    connection: duckdb.DuckDBPyConnection, catalog: str, replaced: Sequence[str]
) -> float:
    """The share of the previous file's blocks free once `replaced` tables are dropped."""
    total, free = connection.execute(
        "select total_blocks, free_blocks from pragma_database_size() where database_name = ?",
        [catalog],
    ).fetchone()
    for table in replaced:
        name = f"{catalog}.{PUBLIC_SCHEMA}.{quote_identifier(table)}"
        free += connection.execute(
            "select count(distinct block_id) from pragma_storage_info(?) where block_id >= 0",
            [name],
        ).fetchone()[0]
    return free / total if total else 1.0


def plan_publication(
    connection: duckdb.DuckDBPyConnection,
    tables: Sequence[str],
    personal_columns: Mapping[str, frozenset[str]],
    *,
    previous_catalog: str | None,
    max_free_share: float = DEFAULT_MAX_FREE_SHARE,
) -> PublicationPlan:
    """Compare the warehouse (attached as `warehouse`) with the previous publication (attached
    as `previous_catalog`, or None when there is none) and say what to copy."""
    previous = previous_tables(connection, previous_catalog) if previous_catalog else {}
    states = {
        table: table_state(
            connection,
            "warehouse",
            table,
            personal_columns[table],
            previous[table].row_count if table in previous else None,
        )
        for table in tables
    }
    changed = [
        t
        for t in tables
        if t not in previous
        or states[t].fingerprint is None
        or previous[t].fingerprint != states[t].fingerprint
    ]
    copied, stale = changed, sorted(set(previous) - set(tables))
    replaced = [t for t in [*changed, *stale] if t in previous]
    if previous and _free_share_after(connection, previous_catalog, replaced) > max_free_share:
        previous, copied, stale = {}, list(tables), []
    kept = [t for t in tables if t not in copied]
    return PublicationPlan(states, previous, changed, copied, kept, stale)
