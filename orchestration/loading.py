"""Load landing files into the `raw` schema of the working DuckDB warehouse.

Like a warehouse's COPY INTO with load history:
- every file seen is recorded in `raw._load_manifest` with its content hash, so a file is loaded at
  most once whatever its name, and a changed file under a known name loads as a new version;
- a file that cannot be read or lacks a required column is rejected whole, with its reason;
- a row whose values cannot be parsed to the contract's types, or that misses a required value,
  goes to `raw._quarantine` with its file, line and reason; rows read = loaded + quarantined;
- each file is loaded in one transaction together with its manifest row, so a crash midway leaves
  nothing of that file behind, and the next load takes it again.

Raw tables keep the contract columns typed (timestamps in UTC), extra columns as text, and lineage
columns (`_load_id`, `_file_path`, `_line_number`, `_loaded_at`). Every version of a record is
kept; staging picks the latest.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.contract import ENTITIES, ColumnKind, Entity

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
MANIFEST_TABLE = f"{RAW_SCHEMA}._load_manifest"
QUARANTINE_TABLE = f"{RAW_SCHEMA}._quarantine"
FILE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".jsonl": "json", ".ndjson": "json"}

DUCKDB_TYPES: dict[ColumnKind, str] = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}
TRUE_WORDS = ("true", "t", "1", "yes", "y", "oui", "vrai")
FALSE_WORDS = ("false", "f", "0", "no", "n", "non", "faux")


@dataclass
class FileLoad:
    """What happened to one landing file."""

    entity: str
    path: Path
    content_hash: str
    status: str  # loaded, rejected, skipped
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason: str | None = None


@dataclass
class LoadResult:
    """What one load of an entity did, file by file."""

    entity: str
    load_id: str
    files: list[FileLoad] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def new_load_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@contextmanager
def connect(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the working warehouse for writing; always closed, so no lock outlives the load."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(warehouse))
    try:
        connection.execute("set TimeZone = 'UTC'")
        yield connection
    finally:
        connection.close()


def ensure_load_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"create schema if not exists {RAW_SCHEMA}")
    connection.execute(
        f"""
        create table if not exists {MANIFEST_TABLE} (
            load_id varchar not null,
            entity varchar not null,
            file_path varchar not null,
            file_name varchar not null,
            file_size bigint not null,
            content_hash varchar not null,
            status varchar not null,
            reason varchar,
            rows_read bigint not null,
            rows_loaded bigint not null,
            rows_quarantined bigint not null,
            started_at timestamp not null,
            finished_at timestamp not null
        )
        """
    )
    connection.execute(
        f"""
        create table if not exists {QUARANTINE_TABLE} (
            load_id varchar not null,
            entity varchar not null,
            file_path varchar not null,
            line_number bigint not null,
            reason varchar not null,
            raw_record varchar not null,
            quarantined_at timestamp not null
        )
        """
    )


def landing_files(landing_dir: Path, entity: str) -> list[Path]:
    """The entity's files in landing, in name order so that loads are reproducible."""
    folder = landing_dir / entity
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FILE_SUFFIXES
    )


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def parse_expression(text: str, kind: ColumnKind) -> str:
    """SQL that parses a text value to the contract type, null when it cannot.

    `text` is already trimmed and null when blank. Timestamps without an offset are UTC; slash
    dates are day first (French exports).
    """
    if kind == "string":
        return text
    if kind == "integer":
        return f"try_cast(regexp_replace({text}, '[\\s\u00a0]', '', 'g') as bigint)"
    if kind == "decimal":
        # "1 234,5" (French) and "1,234.5" (English) both read as 1234.5.
        compact = f"regexp_replace({text}, '[\\s\u00a0]', '', 'g')"
        return (
            f"try_cast(case when contains({compact}, '.') then replace({compact}, ',', '')"
            f" else replace({compact}, ',', '.') end as double)"
        )
    if kind == "boolean":
        truthy = ", ".join(_literal(w) for w in TRUE_WORDS)
        falsy = ", ".join(_literal(w) for w in FALSE_WORDS)
        return (
            f"case when lower({text}) in ({truthy}) then true"
            f" when lower({text}) in ({falsy}) then false end"
        )
    if kind == "date":
        return f"coalesce(try_cast({text} as date), cast(try_strptime({text}, '%d/%m/%Y') as date))"
    if kind == "timestamp":
        return (
            f"coalesce(try_cast({text} as timestamptz) at time zone 'UTC',"
            f" try_strptime({text}, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y']))"
        )
    raise ValueError(f"unknown column kind {kind!r}")


def _reader(path: Path) -> str:
    """A DuckDB table function that reads the file with every column as text."""
    fmt = FILE_SUFFIXES[path.suffix.lower()]
    location = _literal(str(path))
    if fmt == "csv":
        return f"read_csv({location}, all_varchar = true, header = true)"
    if fmt == "parquet":
        return f"read_parquet({location})"
    return f"read_json({location}, format = 'newline_delimited')"


def _header(connection: duckdb.DuckDBPyConnection, reader: str) -> list[str]:
    return [row[0] for row in connection.execute(f"describe select * from {reader}").fetchall()]


def _missing_required(entity: Entity, header: list[str]) -> str | None:
    present = {name.lower() for name in header}
    missing = [name for name in entity.required if name not in present]
    for group in entity.required_one_of:
        if not any(name in present for name in group):
            missing.append(" or ".join(group))
    if missing:
        return f"missing required column(s): {', '.join(missing)}"
    return None


def _raw_table(entity: Entity) -> str:
    return f"{RAW_SCHEMA}.{entity.name}"


def _ensure_raw_table(
    connection: duckdb.DuckDBPyConnection, entity: Entity, extra_columns: list[str]
) -> None:
    columns = [f"{_quote(c.name)} {DUCKDB_TYPES[c.kind]}" for c in entity.columns]
    lineage = [
        "_load_id varchar not null",
        "_file_path varchar not null",
        "_line_number bigint not null",
        "_loaded_at timestamp not null",
    ]
    connection.execute(
        f"create table if not exists {_raw_table(entity)} ({', '.join(columns + lineage)})"
    )
    existing = {
        row[0]
        for row in connection.execute(
            "select column_name from information_schema.columns"
            " where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, entity.name],
        ).fetchall()
    }
    for name in extra_columns:
        if name not in existing:
            # Schema drift: extra columns are kept as text, never fatal.
            connection.execute(f"alter table {_raw_table(entity)} add column {_quote(name)} varchar")


def _load_file(
    connection: duckdb.DuckDBPyConnection, entity: Entity, path: Path, load_id: str, digest: str
) -> FileLoad:
    """Load one file inside the caller's transaction."""
    reader = _reader(path)
    try:
        header = _header(connection, reader)
    except duckdb.Error as error:
        return FileLoad(entity.name, path, digest, "rejected", reason=f"unreadable: {error}")
    # Column names are matched case- and space-insensitively against the contract.
    by_name = {name.strip().lower(): name for name in header}
    reason = _missing_required(entity, list(by_name))
    if reason:
        return FileLoad(entity.name, path, digest, "rejected", reason=reason)

    contract_names = set(entity.column_names)
    extra_columns = [n for n in by_name if n not in contract_names and not n.startswith("_")]
    _ensure_raw_table(connection, entity, extra_columns)

    selected, problems = [], []
    for column in entity.columns:
        source = by_name.get(column.name)
        if source is None:
            selected.append(f"cast(null as {DUCKDB_TYPES[column.kind]}) as {_quote(column.name)}")
            continue
        text = f"nullif(trim(cast({_quote(source)} as varchar)), '')"
        parsed = parse_expression(text, column.kind)
        selected.append(f"{parsed} as {_quote(column.name)}")
        if column.name in entity.required:
            problems.append(f"when {text} is null then 'missing required value: {column.name}'")
        if column.kind != "string":
            problems.append(
                f"when {text} is not null and ({parsed}) is null"
                f" then 'cannot parse {column.name} as {column.kind}: ' || {text}"
            )
    for group in entity.required_one_of:
        present = [by_name[n] for n in group if n in by_name]
        all_blank = " and ".join(f"nullif(trim({_quote(s)}), '') is null" for s in present)
        problems.append(f"when {all_blank} then 'missing required value: {' or '.join(group)}'")
    selected += [f"cast({_quote(by_name[n])} as varchar) as {_quote(n)}" for n in extra_columns]
    reason_sql = f"case {' '.join(problems)} end" if problems else "cast(null as varchar)"

    staged = "_loading_file"
    connection.execute(
        f"""
        create or replace temp table {staged} as
        select
            row_number() over () + {1 if FILE_SUFFIXES[path.suffix.lower()] == "csv" else 0}
                as _line_number,
            {reason_sql} as _reason,
            to_json(source_row) :: varchar as _raw_record,
            {", ".join(selected)}
        from {reader} as source_row
        """
    )
    target_columns = [*entity.column_names, *extra_columns]
    quoted = ", ".join(_quote(n) for n in target_columns)
    now = datetime.now(UTC).replace(tzinfo=None)
    connection.execute(
        f"""
        insert into {_raw_table(entity)} ({quoted}, _load_id, _file_path, _line_number, _loaded_at)
        select {quoted}, ?, ?, _line_number, ? from {staged} where _reason is null
        """,
        [load_id, str(path), now],
    )
    connection.execute(
        f"""
        insert into {QUARANTINE_TABLE}
        select ?, ?, ?, _line_number, _reason, _raw_record, ? from {staged}
        where _reason is not null
        """,
        [load_id, entity.name, str(path), now],
    )
    rows_read, rows_quarantined = connection.execute(
        f"select count(*), count(_reason) from {staged}"
    ).fetchone()
    connection.execute(f"drop table {staged}")
    return FileLoad(
        entity.name,
        path,
        digest,
        "loaded",
        rows_read=rows_read,
        rows_loaded=rows_read - rows_quarantined,
        rows_quarantined=rows_quarantined,
    )


def _record(
    connection: duckdb.DuckDBPyConnection, load: FileLoad, load_id: str, started_at: datetime
) -> None:
    connection.execute(
        f"insert into {MANIFEST_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            load.entity,
            str(load.path),
            load.path.name,
            load.path.stat().st_size,
            load.content_hash,
            load.status,
            load.reason,
            load.rows_read,
            load.rows_loaded,
            load.rows_quarantined,
            started_at,
            datetime.now(UTC).replace(tzinfo=None),
        ],
    )


def load_entity(
    warehouse: Path, landing_dir: Path, entity_name: str, load_id: str | None = None
) -> LoadResult:
    """Load the entity's new landing files; files whose content was seen before are skipped."""
    entity = ENTITIES[entity_name]
    result = LoadResult(entity_name, load_id or new_load_id())
    with connect(warehouse) as connection:
        ensure_load_tables(connection)
        seen = {
            row[0]
            for row in connection.execute(
                f"select content_hash from {MANIFEST_TABLE} where entity = ?", [entity_name]
            ).fetchall()
        }
        for path in landing_files(landing_dir, entity_name):
            digest = file_hash(path)
            if digest in seen:
                result.files.append(FileLoad(entity_name, path, digest, "skipped"))
                continue
            started_at = datetime.now(UTC).replace(tzinfo=None)
            if path.stat().st_size == 0:
                load = FileLoad(entity_name, path, digest, "rejected", reason="empty file")
            else:
                connection.execute("begin transaction")
                try:
                    load = _load_file(connection, entity, path, result.load_id, digest)
                    if load.status == "rejected":
                        connection.execute("rollback")
                    else:
                        _record(connection, load, result.load_id, started_at)
                        connection.execute("commit")
                except BaseException:
                    connection.execute("rollback")
                    raise
            if load.status == "rejected":
                log.warning("rejected %s: %s", path, load.reason)
                _record(connection, load, result.load_id, started_at)
            seen.add(digest)
            result.files.append(load)
        # Make sure a raw table exists even before the first file, so dbt sources resolve.
        _ensure_raw_table(connection, entity, [])
    return result
