"""Publish the public tables to `serving.duckdb`, the copy BI reads, swapped in atomically.

Why a copy: DuckDB allows one writer process, and a reader in another process blocks it (and is
blocked by it). BI therefore never opens the working warehouse. After a run whose blocking checks
passed, the public tables are copied, without direct personal identifiers, into a new file next
to `serving.duckdb`, which is then renamed over it (`os.replace`, atomic on POSIX). A reader that
opens `serving.duckdb` gets either the old file or the new one, never a mix; a reader that holds
the old file open keeps reading it (the rename only unlinks the name, the inode lives on until
the reader closes), and it never blocks the pipeline: nothing ever writes to the published file.

Only what changed is copied: the new file starts as a copy of the previous publication (a file
copy, at disk speed), and only the tables whose content fingerprint changed since are replaced in
it, or, for the event grain, only its rows built since (`orchestration/publication_changes.py`).
Readers of the old file are unaffected: the copy is another file, swapped in the same way.

The Dagster asset that publishes after every run is in `orchestration/defs/published.py`.
"""

import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.dbt_project import dbt_project
from orchestration.durable import fsync_path
from orchestration.publication_changes import (
    BUILT_AT,
    DEFAULT_MAX_FREE_SHARE,
    PUBLIC_SCHEMA,
    PUBLICATION_TABLE,
    PublicationPlan,
    RowChanges,
    TableState,
    plan_publication,
    quote_identifier,
    quote_literal,
)


@dataclass(frozen=True)
class TableDocs:
    """A public table's description, its columns' descriptions, its personal columns (those
    whose dbt `meta` says `personal: true`: direct identifiers, never published) and its primary
    key (the columns of its `primary_key` test), from the dbt manifest."""

    description: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    personal_columns: frozenset[str] = frozenset()
    primary_key: tuple[str, ...] = ()


@dataclass(frozen=True)
class Publication:
    """What one publication wrote."""

    path: Path
    row_counts: dict[str, int]
    dropped_columns: dict[str, list[str]]
    published_at: datetime
    copied_tables: list[str] = field(default_factory=list)
    """The tables written whole by this publication: the changed ones, or every one when it
    started from an empty file."""
    updated_tables: list[str] = field(default_factory=list)
    """The changed tables published by rows: only the rows built since the previous
    publication were written."""
    kept_tables: list[str] = field(default_factory=list)
    """The tables carried over unchanged from the previous publication's file."""
    changed_tables: list[str] = field(default_factory=list)
    """The tables new or changed since the previous publication (the copied and updated ones,
    unless the publication started from an empty file to stay compact)."""
    started_from_previous: bool = False
    """Whether the new file started as a copy of the previous publication."""


def public_table_docs(manifest_path: Path = dbt_project.manifest_path) -> dict[str, TableDocs]:
    """The dbt descriptions of the public models, keyed by table name (empty when unparsed)."""
    if not manifest_path.exists():
        return {}
    manifest = json.loads(manifest_path.read_text())
    keys = {}
    for node in manifest["nodes"].values():
        test = node.get("test_metadata") or {}
        if node["resource_type"] == "test" and test.get("name") == "primary_key":
            arguments = test.get("kwargs", {})
            columns = arguments.get("column_names") or [arguments.get("column_name")]
            keys[node.get("attached_node")] = tuple(column for column in columns if column)
    return {
        node["name"]: TableDocs(
            description=node.get("description", "").strip(),
            columns={
                name: column.get("description", "").strip()
                for name, column in node.get("columns", {}).items()
            },
            personal_columns=frozenset(
                name
                for name, column in node.get("columns", {}).items()
                if column.get("meta", {}).get("personal")
                or column.get("config", {}).get("meta", {}).get("personal")
            ),
            primary_key=keys.get(unique_id, ()),
        )
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] == PUBLIC_SCHEMA
    }


def remove_leftovers(serving: Path) -> None:
    """Delete the temporary files of a publication that died midway (one run at a time)."""
    for leftover in serving.parent.glob(f".{serving.name}.*.tmp*"):
        leftover.unlink(missing_ok=True)


class NothingToPublish(ValueError):
    """The base holds no contact: publishing it would empty every BI dashboard."""


def as_of_of(database: Path) -> date | None:
    """The as-of day of the funnel in a warehouse or a publication (`marts.dim_contacts`), or
    None when it has no contact or no such table."""
    if not database.exists():
        return None
    with duckdb.connect(str(database), read_only=True) as connection:
        found = connection.execute(
            "select count(*) from information_schema.tables"
            f" where table_schema = '{PUBLIC_SCHEMA}' and table_name = 'dim_contacts'"
        ).fetchone()[0]
        if not found:
            return None
        return connection.execute(
            f"select max(as_of_date) from {PUBLIC_SCHEMA}.dim_contacts"
        ).fetchone()[0]


def should_publish(warehouse: Path, serving: Path, *, replace_later: bool = False) -> bool:
    """Publication only moves forward: False when `serving` holds a later as-of day than the
    warehouse (a run as of a past day), unless `replace_later`. Raises NothingToPublish when the
    warehouse holds no contact."""
    built = as_of_of(warehouse)
    if built is None:
        raise NothingToPublish(
            "The base holds no contact, so nothing is published: serving.duckdb and the report"
            " stay as the last good run left them. Is the landing folder empty?"
        )
    published = as_of_of(serving)
    return replace_later or published is None or built >= published


def _copy_file(source: Path, target: Path) -> None:
    """Copy a file, sharing its blocks where the file system can (copy_file_range: a reflink on
    btrfs and XFS, an in-kernel copy elsewhere)."""
    with open(source, "rb") as reader, open(target, "wb") as writer:
        remaining = os.fstat(reader.fileno()).st_size
        try:
            while remaining > 0:
                copied = os.copy_file_range(reader.fileno(), writer.fileno(), remaining)
                if copied == 0:
                    break
                remaining -= copied
        except OSError:  # not supported between these file systems
            reader.seek(0)
            writer.seek(0)
            writer.truncate()
            shutil.copyfileobj(reader, writer, 16 * 2**20)


def _plan(
    warehouse: Path,
    serving: Path,
    tables: Sequence[str],
    docs: Mapping[str, TableDocs],
    max_free_share: float,
) -> PublicationPlan:
    """Compare the warehouse with the previous publication (read-only, as BI reads it)."""
    has_previous = serving.exists()
    with duckdb.connect() as connection:
        connection.execute(f"attach {quote_literal(str(warehouse))} as warehouse (read_only)")
        if has_previous:
            connection.execute(f"attach {quote_literal(str(serving))} as previous (read_only)")
        return plan_publication(
            connection,
            tables,
            {table: docs[table].personal_columns for table in tables},
            previous_catalog="previous" if has_previous else None,
            max_free_share=max_free_share,
            row_keys={table: docs[table].primary_key for table in tables},
        )


def _comment(
    connection: duckdb.DuckDBPyConnection, table: str, docs: TableDocs, columns: Sequence[str]
) -> None:
    target = f"{PUBLIC_SCHEMA}.{quote_identifier(table)}"
    if docs.description:
        connection.execute(f"comment on table {target} is {quote_literal(docs.description)}")
    for column in columns:
        if docs.columns.get(column):
            connection.execute(
                f"comment on column {target}.{quote_identifier(column)}"
                f" is {quote_literal(docs.columns[column])}"
            )


def _copy_table(connection: duckdb.DuckDBPyConnection, state: TableState) -> None:
    target = f"{PUBLIC_SCHEMA}.{quote_identifier(state.name)}"
    select = ", ".join(quote_identifier(c) for c in state.kept_columns)
    connection.execute(f"create table {target} as select {select} from warehouse.{target}")


def _replace_rows(
    connection: duckdb.DuckDBPyConnection, state: TableState, changes: RowChanges
) -> bool:
    """Make a table of the previous publication the warehouse's by replacing the rows built
    since (deleting first the rows of their keys, then the keys the warehouse no longer holds,
    each only when the row counts say there are such rows). False when the row counts do not
    reconcile: a build recorded a `built_at` earlier than the previous publication's."""
    target = f"{PUBLIC_SCHEMA}.{quote_identifier(state.name)}"
    select = ", ".join(quote_identifier(c) for c in state.kept_columns)
    built = (
        f"(select {select} from warehouse.{target}"
        f" where {quote_identifier(BUILT_AT)} > $built_after) as built"
    )
    rows = changes.previous_row_count
    if rows + changes.rows != state.row_count:  # some keys were held before
        matched = " and ".join(
            f"{target}.{quote_identifier(c)} = built.{quote_identifier(c)}" for c in changes.key
        )
        rows -= connection.execute(
            f"delete from {target} using {built} where {matched}",
            {"built_after": changes.built_after},
        ).fetchone()[0]
    if rows + changes.rows != state.row_count:  # some keys are held no longer
        held = " and ".join(
            f"held.{quote_identifier(c)} = {target}.{quote_identifier(c)}" for c in changes.key
        )
        connection.execute(
            f"delete from {target} where not exists"
            f" (select 1 from warehouse.{target} as held where {held})"
        )
    connection.execute(
        f"insert into {target} ({select}) select {select} from {built}",
        {"built_after": changes.built_after},
    )
    return connection.execute(f"select count(*) from {target}").fetchone()[0] == state.row_count


def _write(
    staging: Path,
    warehouse: Path,
    plan: PublicationPlan,
    docs: Mapping[str, TableDocs],
    published_at: datetime,
    run_id: str,
) -> list[str]:
    """Apply the plan to `staging`: drop the tables to replace and those no longer public (then
    checkpoint, so the copies reuse their blocks), copy the changed tables, replace the rows of
    those updated by rows, and record every table's row count and fingerprint. Returns the
    tables to update by rows that were copied whole instead (their row counts did not
    reconcile)."""
    with duckdb.connect(str(staging)) as connection:
        connection.execute(f"attach {quote_literal(str(warehouse))} as warehouse (read_only)")
        connection.execute(f"create schema if not exists {PUBLIC_SCHEMA}")
        present = {
            row[0]
            for row in connection.execute(
                "select table_name from duckdb_tables()"
                " where database_name = current_database() and schema_name = ?",
                [PUBLIC_SCHEMA],
            ).fetchall()
        }
        for table in sorted(present - (set(plan.tables) - set(plan.copied))):
            connection.execute(f"drop table {PUBLIC_SCHEMA}.{quote_identifier(table)}")
        connection.execute("checkpoint")
        for table in plan.copied:
            _copy_table(connection, plan.tables[table])
        copied_instead = []
        for table, changes in plan.updated.items():
            if not _replace_rows(connection, plan.tables[table], changes):
                connection.execute(f"drop table {PUBLIC_SCHEMA}.{quote_identifier(table)}")
                _copy_table(connection, plan.tables[table])
                copied_instead.append(table)
        connection.execute("detach warehouse")
        for table, state in plan.tables.items():
            _comment(connection, table, docs[table], state.kept_columns)
        connection.execute(
            f"""
            create or replace table {PUBLICATION_TABLE} (
                table_schema varchar, table_name varchar, row_count bigint,
                published_at timestamp, run_id varchar,
                fingerprint varchar, content_published_at timestamp
            )
            """
        )
        connection.executemany(
            f"insert into {PUBLICATION_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    PUBLIC_SCHEMA,
                    table,
                    state.row_count,
                    published_at,
                    run_id,
                    state.fingerprint,
                    published_at
                    if table in plan.copied or table in plan.updated
                    else plan.previous[table].content_published_at,
                )
                for table, state in plan.tables.items()
            ],
        )
        connection.execute(
            f"comment on table {PUBLICATION_TABLE} is 'One row per published table: its row"
            " count when published, and when; its content fingerprint (null when its row count"
            " changed: not hashed), and since when the table holds that content.'"
        )
        connection.execute("checkpoint")
    return copied_instead


def publish(
    warehouse: Path,
    serving: Path,
    tables: Sequence[str],
    *,
    run_id: str = "",
    docs: Mapping[str, TableDocs] | None = None,
    max_free_share: float = DEFAULT_MAX_FREE_SHARE,
) -> Publication:
    """Publish `tables` of the warehouse's public schema into a new file and swap it in atomically.

    The new file holds schema `marts` (the same names as the warehouse, without the personal
    columns the dbt docs mark, with the dbt descriptions as comments) and
    `main.published_tables` (one row per table with its row count and content fingerprint),
    written and fsynced before `os.replace` makes it visible. It starts as a copy of the previous
    publication, in which only the changed tables are replaced (a table with a primary key and
    a `built_at` column: only its rows built since), unless more than `max_free_share` of that
    file is free (then it starts empty). `docs` default to the parsed project's.
    """
    if not warehouse.exists():
        raise FileNotFoundError(f"No warehouse at {warehouse}: run `funnel run` to build it.")
    docs = public_table_docs() if docs is None else docs
    undocumented = [table for table in tables if table not in docs]
    if undocumented:  # its personal columns would be unknown: publishing could leak them
        raise ValueError(
            f"No dbt documentation for {', '.join(undocumented)}: only documented public models"
            " are published. Run `dbt parse` (or `funnel run`) so the manifest lists them."
        )
    serving.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(serving)
    staging = serving.with_name(f".{serving.name}.{uuid.uuid4().hex}.tmp")
    published_at = datetime.now(UTC).replace(tzinfo=None)
    try:
        plan = _plan(warehouse, serving, tables, docs, max_free_share)
        if plan.starts_from_previous:  # nothing writes to serving.duckdb: it is copied whole
            _copy_file(serving, staging)
        copied_instead = _write(staging, warehouse, plan, docs, published_at, run_id)
        fsync_path(staging)
        os.replace(staging, serving)
        fsync_path(serving.parent)
    finally:
        remove_leftovers(serving)
    return Publication(
        path=serving,
        row_counts={table: state.row_count for table, state in plan.tables.items()},
        dropped_columns={table: state.dropped_columns for table, state in plan.tables.items()},
        published_at=published_at,
        copied_tables=[*plan.copied, *copied_instead],
        updated_tables=[table for table in plan.updated if table not in copied_instead],
        kept_tables=plan.kept,
        changed_tables=plan.changed,
        started_from_previous=plan.starts_from_previous,
    )
