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

A table that records when each row was computed (a `built_at` column that keeps its value when a
build computes the row again unchanged, as `fct_engagement_events` does) and has a primary key
is published by rows: the rows built after the latest `built_at` of the previous publication
replace those of the same keys, and keys the warehouse no longer holds are deleted. Counts say
whether any were: a day that only adds events reads nothing of the previous table but its
latest `built_at`. Every row not built since was in the warehouse, unchanged, when the previous
publication copied it, so the result is the warehouse's table; `built_at` must not go back in
time between builds (it is the build's start on the system clock). When more than
`max_updated_share` of the rows were built since (a full rebuild), the table is copied whole.

The previous publication is reused while it stays compact. The tables to replace are dropped
and the file checkpointed before their copies are written, so the copies reuse the blocks the
old tables held (DuckDB does not shrink a file, but it reuses its free blocks). So only a table
that shrank leaves free blocks; once they exceed `max_free_share` of the previous file, the
publication starts from an empty file instead, which is then as small as its data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

PUBLIC_SCHEMA = "marts"
PUBLICATION_TABLE = "main.published_tables"
# Past this share of free blocks, a copy of the previous publication is not worth reusing.
DEFAULT_MAX_FREE_SHARE = 0.2
# Past this share of a table's rows built since the previous publication, replacing its rows
# costs more than copying it whole.
DEFAULT_MAX_UPDATED_SHARE = 0.25
# The column of a table published by rows: when the build that computed the row started.
BUILT_AT = "built_at"


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
    column_types: list[str] = field(default_factory=list)  # of kept_columns, in order


@dataclass(frozen=True)
class PreviousTable:
    """A table of the previous publication: its row count, its fingerprint (None when it was not
    hashed) and since when it holds that content."""

    row_count: int
    fingerprint: str | None
    content_published_at: datetime


@dataclass(frozen=True)
class RowChanges:
    """The rows of a table published by rows: those of the warehouse built after `built_after`,
    the latest `built_at` of the previous publication's table."""

    key: tuple[str, ...]
    built_after: datetime
    rows: int
    previous_row_count: int


@dataclass(frozen=True)
class PublicationPlan:
    """What a publication does: the tables to copy, those whose changed rows to replace, those
    kept as they are, those to drop."""

    tables: dict[str, TableState]
    previous: dict[str, PreviousTable]  # empty: start from an empty file
    changed: list[str]  # new or changed since the previous publication
    copied: list[str]  # the changed ones not updated by rows, or all from an empty file
    kept: list[str]
    stale: list[str]  # published before, public no longer
    updated: dict[str, RowChanges] = field(default_factory=dict)

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
    types = [kind for _, kind in kept]
    if previous_row_count is not None and rows != previous_row_count:
        return TableState(table, columns, dropped, rows, None, types)
    select = ", ".join(quote_identifier(name) for name in columns)
    hash_sum = connection.execute(
        f"select coalesce(sum(hash(t)::hugeint), 0) from (select {select} from {source}) as t"
    ).fetchone()[0]
    shape = ",".join(f"{name} {kind}" for name, kind in kept)
    fingerprint = hashlib.sha256(f"{shape}|{rows}|{hash_sum}".encode()).hexdigest()[:32]
    return TableState(table, columns, dropped, rows, fingerprint, types)


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


def _free_share(connection: duckdb.DuckDBPyConnection, catalog: str) -> float:
    """The share of a database's blocks that are free."""
    total, free = connection.execute(
        "select total_blocks, free_blocks from pragma_database_size() where database_name = ?",
        [catalog],
    ).fetchone()
    return free / total if total else 1.0


def row_changes(
    connection: duckdb.DuckDBPyConnection,
    state: TableState,
    key: Sequence[str],
    previous_catalog: str,
    max_updated_share: float,
) -> RowChanges | None:
    """How to publish a changed table by rows, or None when it is to be copied whole: it has no
    key or no `built_at`, its columns changed, a row has no `built_at`, or too many rows were
    built since the previous publication."""
    if not key or BUILT_AT not in state.kept_columns or not set(key) <= set(state.kept_columns):
        return None
    name = f"{PUBLIC_SCHEMA}.{quote_identifier(state.name)}"
    previous_shape = [
        (column, kind)
        for column, kind, *_ in connection.execute(f"describe {previous_catalog}.{name}").fetchall()
    ]
    if previous_shape != list(zip(state.kept_columns, state.column_types, strict=True)):
        return None
    built_at = quote_identifier(BUILT_AT)
    built_after, previous_rows = connection.execute(
        f"select max({built_at}), count(*) from {previous_catalog}.{name}"
    ).fetchone()
    if built_after is None:
        return None
    rows, undated = connection.execute(
        f"select count(*) filter (where {built_at} > ?), count(*) filter (where {built_at} is null)"
        f" from warehouse.{name}",
        [built_after],
    ).fetchone()
    if undated or rows > max_updated_share * state.row_count:
        return None
    return RowChanges(tuple(key), built_after, rows, previous_rows)


def plan_publication(
    connection: duckdb.DuckDBPyConnection,
    tables: Sequence[str],
    personal_columns: Mapping[str, frozenset[str]],
    *,
    previous_catalog: str | None,
    max_free_share: float = DEFAULT_MAX_FREE_SHARE,
    row_keys: Mapping[str, Sequence[str]] | None = None,
    max_updated_share: float = DEFAULT_MAX_UPDATED_SHARE,
) -> PublicationPlan:
    """Compare the warehouse (attached as `warehouse`) with the previous publication (attached
    as `previous_catalog`, or None when there is none) and say what to copy and what to update
    by rows (tables with a key in `row_keys` and a `built_at` column)."""
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
    if previous and _free_share(connection, previous_catalog) > max_free_share:
        previous = {}
    if not previous:
        return PublicationPlan(states, {}, changed, list(tables), [], [])
    keys = row_keys or {}
    by_rows = {
        t: row_changes(connection, states[t], keys.get(t, ()), previous_catalog, max_updated_share)
        for t in changed
        if t in previous
    }
    updated = {t: changes for t, changes in by_rows.items() if changes is not None}
    copied = [t for t in changed if t not in updated]
    kept = [t for t in tables if t not in changed]
    stale = sorted(set(previous) - set(tables))
    return PublicationPlan(states, previous, changed, copied, kept, stale, updated)
