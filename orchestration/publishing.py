"""Publish the public tables to `serving.duckdb`, the copy BI reads, swapped in atomically.

Why a copy: DuckDB allows one writer process, and a reader in another process blocks it (and is
blocked by it). BI therefore never opens the working warehouse. After a run whose blocking checks
passed, the public tables are copied, without direct personal identifiers, into a new file next
to `serving.duckdb`, which is then renamed over it (`os.replace`, atomic on POSIX). A reader that
opens `serving.duckdb` gets either the old file or the new one, never a mix; a reader that holds
the old file open keeps reading it (the rename only unlinks the name, the inode lives on until
the reader closes), and it never blocks the pipeline: nothing ever writes to the published file.

The Dagster asset that publishes after every run is in `orchestration/defs/published.py`.
"""

import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.dbt_project import dbt_project

PUBLIC_SCHEMA = "marts"
PUBLICATION_TABLE = "main.published_tables"


@dataclass(frozen=True)
class TableDocs:
    """A public table's description, its columns' descriptions and its personal columns (those
    whose dbt `meta` says `personal: true`: direct identifiers, never published), from the dbt
    manifest."""

    description: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    personal_columns: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Publication:
    """What one publication wrote."""

    path: Path
    row_counts: dict[str, int]
    dropped_columns: dict[str, list[str]]
    published_at: datetime


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def public_table_docs(manifest_path: Path = dbt_project.manifest_path) -> dict[str, TableDocs]:
    """The dbt descriptions of the public models, keyed by table name (empty when unparsed)."""
    if not manifest_path.exists():
        return {}
    manifest = json.loads(manifest_path.read_text())
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
        )
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == PUBLIC_SCHEMA
    }


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def publish(
    warehouse: Path,
    serving: Path,
    tables: Sequence[str],
    *,
    run_id: str = "",
    docs: Mapping[str, TableDocs] | None = None,
) -> Publication:
    """Copy `tables` of the warehouse's public schema into a new file and swap it in atomically.

    The new file holds schema `marts` (the same names as the warehouse, without the personal
    columns the dbt docs mark, with the dbt descriptions as comments) and
    `main.published_tables` (one row per table with its row count), written and fsynced before
    `os.replace` makes it visible. `docs` default to the parsed project's.
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
    row_counts: dict[str, int] = {}
    dropped: dict[str, list[str]] = {}
    try:
        with duckdb.connect(str(staging)) as connection:
            connection.execute(f"attach {_quote_literal(str(warehouse))} as warehouse (read_only)")
            connection.execute(f"create schema {PUBLIC_SCHEMA}")
            for table in tables:
                source = f"warehouse.{PUBLIC_SCHEMA}.{_quote_identifier(table)}"
                target = f"{PUBLIC_SCHEMA}.{_quote_identifier(table)}"
                columns = [row[0] for row in connection.execute(f"describe {source}").fetchall()]
                personal = {column.lower() for column in docs[table].personal_columns}
                kept = [c for c in columns if c.lower() not in personal]
                dropped[table] = [c for c in columns if c.lower() in personal]
                select = ", ".join(_quote_identifier(c) for c in kept)
                connection.execute(f"create table {target} as select {select} from {source}")
                row_counts[table] = connection.execute(f"select count(*) from {target}").fetchone()[
                    0
                ]
                table_docs = docs[table]
                if table_docs.description:
                    connection.execute(
                        f"comment on table {target} is {_quote_literal(table_docs.description)}"
                    )
                for column in kept:
                    if table_docs.columns.get(column):
                        connection.execute(
                            f"comment on column {target}.{_quote_identifier(column)}"
                            f" is {_quote_literal(table_docs.columns[column])}"
                        )
            connection.execute("detach warehouse")
            connection.execute(
                f"""
                create table {PUBLICATION_TABLE} (
                    table_schema varchar, table_name varchar, row_count bigint,
                    published_at timestamp, run_id varchar
                )
                """
            )
            connection.executemany(
                f"insert into {PUBLICATION_TABLE} values (?, ?, ?, ?, ?)",
                [
                    (PUBLIC_SCHEMA, table, rows, published_at, run_id)
                    for table, rows in row_counts.items()
                ],
            )
            connection.execute(
                f"comment on table {PUBLICATION_TABLE} is"
                " 'One row per published table: its row count when published, and when.'"
            )
            connection.execute("checkpoint")
        _fsync(staging)
        os.replace(staging, serving)
        _fsync(serving.parent)
    finally:
        remove_leftovers(serving)
    return Publication(serving, row_counts, dropped, published_at)
