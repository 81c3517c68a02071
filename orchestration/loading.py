"""Load landing files into the `raw` schema of the working DuckDB warehouse.

Like a warehouse's COPY INTO with load history:
- every file seen is recorded in `raw._load_manifest` with its content hash, so a file is loaded at
  most once whatever its name, and a changed file under a known name loads as a new version;
- a file that cannot be read or lacks a required column is rejected whole, with its reason;
- a row that cannot be taken (broken quoting, wrong field count, invalid JSON, a value that does not
  parse to the contract's type, a missing required value) goes to `raw._quarantine` with its file,
  physical line and reason; for every file, rows read = rows loaded + rows quarantined;
- each file is loaded in one transaction together with its manifest row, so a crash midway leaves
  nothing of that file behind, and the next load takes it again.

CSV files are read by DuckDB (fast path). When DuckDB reports a structural problem, or when its
record count does not account for every physical line of the file (it skips blank lines silently),
the file is split into records by Python's csv module instead (exact path), which quarantines the
broken records with their line numbers and hands DuckDB a clean copy.

Raw tables keep the contract columns typed (timestamps in UTC), extra columns as text, and lineage
columns (`_load_id`, `_file_path`, `_line_number`, `_loaded_at`). Every version of a record is
kept; staging picks the latest. `docs/loading.md` explains all of this for analytics engineers.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import os
import re
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
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
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 1 << 20
BLOCK_BYTES = 1 << 20
TEMP_PREFIX = ".loading-"
# Crash tests set this to a file name: the load of that file stops before its commit, writes
# `<warehouse>.paused` and waits to be killed.
PAUSE_ENV = "FUNNEL_LOAD_PAUSE_BEFORE_COMMIT"

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

# Why a row was quarantined: the first word of every quarantine reason, and `reason_kind`.
BROKEN_QUOTING = "broken_quoting"
WRONG_FIELD_COUNT = "wrong_field_count"
INVALID_JSON = "invalid_json"
MISSING_REQUIRED_VALUE = "missing_required_value"
UNPARSEABLE_VALUE = "unparseable_value"


class FileRejected(Exception):
    """A file that is rejected whole; the message is the reason stored in the manifest."""


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
    file_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    extra_columns: tuple[str, ...] = ()


@dataclass
class LoadResult:
    """What one load of an entity did, file by file."""

    entity: str
    load_id: str
    files: list[FileLoad] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def new_load_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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


def _ensure_table(connection: duckdb.DuckDBPyConnection, table: str, columns: dict) -> None:
    """Create the table, or add the columns a warehouse written by an older loader lacks."""
    definition = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    connection.execute(f"create table if not exists {table} ({definition})")
    for name, kind in columns.items():
        nullable = kind.replace(" not null", "")
        connection.execute(f"alter table {table} add column if not exists {name} {nullable}")


def ensure_load_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"create schema if not exists {RAW_SCHEMA}")
    _ensure_table(connection, MANIFEST_TABLE, MANIFEST_COLUMNS)
    _ensure_table(connection, QUARANTINE_TABLE, QUARANTINE_COLUMNS)


# --- Landing folders ---------------------------------------------------------------------------


def _is_hidden(path: Path) -> bool:
    """Editor and OS droppings (`.DS_Store`, Excel's `~$lock` files) are not landing files."""
    return path.name.startswith((".", "~$"))


def landing_files(landing_dir: Path, entity: str) -> list[Path]:
    """The entity's files in landing, in name order so that loads are reproducible."""
    folder = landing_dir / entity
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not _is_hidden(p) and p.suffix.lower() in FILE_SUFFIXES
    )


def unsupported_files(landing_dir: Path, entity: str) -> list[Path]:
    """Files in the entity's folder that the loader cannot read (rejected with a reason)."""
    folder = landing_dir / entity
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not _is_hidden(p) and p.suffix.lower() not in FILE_SUFFIXES
    )


def unknown_landing_entries(landing_dir: Path) -> list[Path]:
    """Folders and files directly under landing that belong to no entity: never loaded."""
    if not landing_dir.is_dir():
        return []
    return sorted(
        p
        for p in landing_dir.iterdir()
        if not _is_hidden(p) and not (p.is_dir() and p.name in ENTITIES)
    )


# --- Reading a file's bytes once: hash, encoding, line count -------------------------------------


@dataclass(frozen=True)
class FileScan:
    """What one pass over a file's bytes tells: its identity and how to decode it."""

    size: int
    content_hash: str
    is_utf8: bool
    head: bytes
    last_content_line: int  # the number of the last line holding anything but line breaks


class LineCounter:
    """Counts, over byte blocks, the number of the last line that is not blank at the end."""

    def __init__(self) -> None:
        self.newlines = 0
        self.last_content_line = 0

    def update(self, block: bytes) -> None:
        content = block.rstrip(b"\r\n")
        if content:
            self.last_content_line = self.newlines + content.count(b"\n") + 1
        self.newlines += block.count(b"\n")


def scan_file(path: Path) -> FileScan:
    """Hash the file and, in the same pass, check whether it is valid UTF-8 and count its lines."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    counter = LineCounter()
    is_utf8, size, head = True, 0, b""
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK_BYTES), b""):
            digest.update(block)
            counter.update(block)
            size += len(block)
            if len(head) < SAMPLE_BYTES:
                head += block[: SAMPLE_BYTES - len(head)]
            if is_utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    is_utf8 = False
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return FileScan(size, digest.hexdigest(), is_utf8, head, counter.last_content_line)


def file_hash(path: Path) -> str:
    return scan_file(path).content_hash


def detect_encoding(head: bytes, is_utf8: bool) -> str:
    """The Python codec of a text file: its BOM, else UTF-8 when valid, else Windows-1252.

    Windows-1252 (what French Excel writes) is a superset of Latin-1 for printable text, with the
    euro sign and œ where Latin-1 has control characters; a file it cannot decode is Latin-1.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8" if is_utf8 else "cp1252"


# --- CSV dialect and header --------------------------------------------------------------------


@dataclass(frozen=True)
class CsvDialect:
    delimiter: str
    quote: str


def _count_outside_quotes(line: str, char: str, quote: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == quote:
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def sniff_dialect(sample: str) -> CsvDialect:
    """Delimiter and quote character from the first line (the header): `,` `;` tab or `|`."""
    first_line = sample.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    stripped = first_line.strip()
    single_quoted = '"' not in first_line and stripped.startswith("'") and stripped.endswith("'")
    quote = "'" if single_quoted and len(stripped) > 1 else '"'
    counts = {d: _count_outside_quotes(first_line, d, quote) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the earlier candidate
    return CsvDialect(best if counts[best] else ",", quote)


def normalize_column_name(name: str, position: int) -> str:
    """Header names match the contract case- and space-insensitively (` First Name`: first_name).

    Leading underscores go, so an extra column never collides with the lineage columns (`_...`).
    """
    cleaned = re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower()).strip("_")
    return cleaned or f"column_{position + 1}"


@dataclass(frozen=True)
class ColumnMap:
    """How a file's columns (by position) feed the raw table."""

    source_names: tuple[str, ...]  # as written in the file, for the quarantine's raw record
    contract: dict[str, int]  # contract column name -> source position
    extras: dict[str, int]  # extra raw column name -> source position


def map_columns(entity: Entity, names: list[str]) -> ColumnMap:
    """Match a header to the contract; raises FileRejected when a required column is missing."""
    normalized = [normalize_column_name(n, i) for i, n in enumerate(names)]
    duplicates = sorted({n for n in normalized if normalized.count(n) > 1})
    if duplicates:
        raise FileRejected(
            f"duplicate column name(s) in the header: {', '.join(duplicates)}; rename them so"
            " each column is named once"
        )
    position = {n: i for i, n in enumerate(normalized)}
    missing = [n for n in entity.required if n not in position]
    missing += [" or ".join(g) for g in entity.required_one_of if not any(n in position for n in g)]
    if missing:
        raise FileRejected(
            f"missing required column(s): {', '.join(missing)}. The file has: "
            f"{', '.join(normalized) or 'no columns'}. Add the column(s) and drop the file again"
        )
    contract_names = set(entity.column_names)
    return ColumnMap(
        source_names=tuple(n.strip() or normalized[i] for i, n in enumerate(names)),
        contract={n: i for n, i in position.items() if n in contract_names},
        extras={n: i for n, i in position.items() if n not in contract_names},
    )


# --- CSV records, the exact way (Python's csv module) -------------------------------------------


@dataclass(frozen=True)
class Record:
    line_number: int
    fields: list[str]


@dataclass(frozen=True)
class BrokenRecord:
    line_number: int
    kind: str
    reason: str
    raw: str


class _Lines:
    """The lines the csv reader takes, with the ones of the current record kept for a restart."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._source = iter(lines)
        self._pushed_back: deque[str] = deque()
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._pushed_back.popleft() if self._pushed_back else next(self._source)
        self.taken.append(line)
        return line

    def push_back(self, lines: list[str]) -> None:
        self._pushed_back.extendleft(reversed(lines))


def _quoting_reason(error: csv.Error) -> str:
    message = str(error)
    if "end of data" in message or "field limit" in message:
        return "broken quoting: a quote opened on this line is never closed"
    return (
        f"broken quoting ({message}): text follows a closing quote; a quote inside a quoted value"
        ' must be doubled ("")'
    )


def split_records(
    lines: Iterable[str], dialect: CsvDialect, n_fields: int, first_line_number: int
) -> Iterator[Record | BrokenRecord]:
    """Split CSV text lines into records numbered by the physical line they start on.

    Blank lines are no records. A record whose quoting is broken costs only the line it starts
    on: it is reported broken and reading resumes on the next line. A record with the wrong
    number of fields is reported broken whole (all its lines).
    """
    source = _Lines(lines)
    line_number = first_line_number
    while True:
        reader = csv.reader(
            source, delimiter=dialect.delimiter, quotechar=dialect.quote, strict=True
        )
        try:
            for fields in reader:
                taken, source.taken = source.taken, []
                start, line_number = line_number, line_number + len(taken)
                if not fields:
                    continue
                if len(fields) != n_fields:
                    raw = "".join(taken).rstrip("\r\n")
                    span = f" (lines {start}-{line_number - 1})" if len(taken) > 1 else ""
                    reason = (
                        f"wrong field count: expected {n_fields} fields, found {len(fields)}{span}"
                    )
                    yield BrokenRecord(start, WRONG_FIELD_COUNT, reason, raw)
                else:
                    yield Record(start, fields)
            return
        except csv.Error as error:
            taken, source.taken = source.taken, []
            yield BrokenRecord(
                line_number, BROKEN_QUOTING, _quoting_reason(error), taken[0].rstrip("\r\n")
            )
            source.push_back(taken[1:])
            line_number += 1


# --- Staging a file as text columns -------------------------------------------------------------
# Every reader leaves a temp table `_loading_src` with text columns c0..cN (the file's columns in
# order) and a line number expression, plus `_loading_broken` for records that could not be split.

SRC = "_loading_src"
BROKEN = "_loading_broken"


@dataclass
class Staged:
    names: list[str]  # the file's column names, in order
    line_sql: str  # SQL for a row's physical line number in SRC
    rows_read: int
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _varchar_columns(n: int, first: dict[str, str] | None = None) -> str:
    columns = {**(first or {}), **{f"c{i}": "VARCHAR" for i in range(n)}}
    return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in columns.items()) + "}"


def _create_broken_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        f"create or replace temp table {BROKEN} (line_number bigint, reason_kind varchar,"
        " reason varchar, raw_record varchar)"
    )


class _Workdir:
    """Temporary UTF-8 copies of landing files, next to the warehouse, removed after each file."""

    def __init__(self, folder: Path, prefix: str) -> None:
        self.folder, self.prefix, self.paths = folder, prefix, []

    def new(self, suffix: str) -> Path:
        with tempfile.NamedTemporaryFile(
            dir=self.folder, prefix=self.prefix, suffix=suffix, delete=False
        ) as handle:
            self.paths.append(Path(handle.name))
        return self.paths[-1]

    def clean(self) -> None:
        for path in self.paths:
            path.unlink(missing_ok=True)
        self.paths = []


def _utf8_copy(path: Path, encoding: str, workdir: _Workdir) -> tuple[Path, int, str]:
    """A UTF-8 copy of a text file DuckDB cannot read as is; its last content line; the codec."""
    for codec in (encoding, "latin-1"):
        target, counter = workdir.new(path.suffix), LineCounter()
        try:
            with (
                path.open(encoding=codec, newline="") as source,
                target.open("wb") as out,
            ):
                for text in iter(lambda: source.read(BLOCK_BYTES), ""):
                    block = text.encode("utf-8")
                    counter.update(block)
                    out.write(block)
            return target, counter.last_content_line, codec
        except UnicodeDecodeError:
            continue
    raise FileRejected(f"cannot decode the file as {encoding} or latin-1")


def _readable_text(path: Path, scan: FileScan, workdir: _Workdir) -> tuple[Path, int, str]:
    """A file DuckDB can read as UTF-8, its last content line, and the original's encoding."""
    encoding = detect_encoding(scan.head, scan.is_utf8)
    if encoding in ("utf-8", "utf-8-sig"):
        return path, scan.last_content_line, encoding
    return _utf8_copy(path, encoding, workdir)


def _read_header(readable: Path, entity: Entity) -> tuple[CsvDialect, list[str], int]:
    """The dialect, the column names and the number of header lines (0 when headerless)."""
    with readable.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise FileRejected("empty file: no header and no rows")
    dialect = sniff_dialect(sample)
    reader = csv.reader(
        io.StringIO(sample, newline=""), delimiter=dialect.delimiter, quotechar=dialect.quote
    )
    header = next((row for row in reader if row), [])
    header_lines = reader.line_num
    known = set(entity.column_names)
    if any(normalize_column_name(n, i) in known for i, n in enumerate(header)):
        return dialect, header, header_lines
    if len(header) == len(entity.columns):
        # No header: the columns are in the contract's order (what `funnel generate` writes).
        return dialect, list(entity.column_names), 0
    raise FileRejected(
        "no header line: the first line names none of the contract's columns"
        f" ({', '.join(entity.column_names[:4])}, ...). Add a header line and drop the file again"
    )


def _duckdb_csv(
    path: Path,
    columns: str,
    skip: int,
    dialect: CsvDialect,
    with_rejects: bool,
) -> str:
    rejects = (
        ", store_rejects = true, rejects_table = '_loading_reject_errors',"
        " rejects_scan = '_loading_reject_scans'"
        if with_rejects
        else ""
    )
    return (
        f"read_csv({_literal(str(path))}, auto_detect = false, header = false, skip = {skip},"
        f" columns = {columns}, delim = {_literal(dialect.delimiter)},"
        f" quote = {_literal(dialect.quote)}, escape = {_literal(dialect.quote)},"
        f" strict_mode = true, null_padding = false, max_line_size = 8388608{rejects})"
    )


def _stage_csv_fast(
    connection: duckdb.DuckDBPyConnection,
    readable: Path,
    dialect: CsvDialect,
    n_columns: int,
    header_lines: int,
    last_line: int,
) -> tuple[str, int] | None:
    """Read with DuckDB: the line number SQL and row count, or None to take the exact path."""
    connection.execute("drop table if exists _loading_reject_errors")
    connection.execute("drop table if exists _loading_reject_scans")
    reader = _duckdb_csv(readable, _varchar_columns(n_columns), header_lines, dialect, True)
    connection.execute(f"create or replace temp table {SRC} as select * from {reader}")
    rejects = connection.execute("select count(*) from _loading_reject_errors").fetchone()[0]
    connection.execute("drop table _loading_reject_errors")
    connection.execute("drop table _loading_reject_scans")
    rows, first_rowid, last_rowid = connection.execute(
        f"select count(*), coalesce(min(rowid), 0), coalesce(max(rowid), -1) from {SRC}"
    ).fetchone()
    if rejects:
        return None
    # Row ids of a table made inside a transaction start anywhere, but follow the file's order.
    contiguous = last_rowid - first_rowid + 1 == rows
    if contiguous and header_lines + rows == max(last_line, header_lines):
        return f"rowid - {first_rowid - header_lines - 1}", rows  # one line per record
    breaks = " + ".join(
        f"coalesce(length(c{i}) - length(replace(c{i}, chr(10), '')), 0)" for i in range(n_columns)
    )
    embedded = connection.execute(f"select coalesce(sum({breaks}), 0) from {SRC}").fetchone()[0]
    if header_lines + rows + embedded != last_line:
        return None  # DuckDB skipped lines (blank ones): only the exact path numbers them right
    connection.execute(
        f"""
        create or replace temp table {SRC} as
        select
            {header_lines} + row_number() over (order by rowid) + coalesce(sum({breaks}) over (
                order by rowid rows between unbounded preceding and 1 preceding), 0)
                as _line_number,
            *
        from {SRC}
        """
    )
    return "_line_number", rows


def _stage_csv_exact(
    connection: duckdb.DuckDBPyConnection,
    readable: Path,
    dialect: CsvDialect,
    n_columns: int,
    header_lines: int,
    workdir: _Workdir,
) -> int:
    """Split records with Python's csv module; clean records and broken ones go to DuckDB."""
    clean_path, broken_path = workdir.new(".csv"), workdir.new(".csv")
    rows = 0
    with (
        readable.open(encoding="utf-8-sig", newline="") as source,
        clean_path.open("w", encoding="utf-8", newline="") as clean_out,
        broken_path.open("w", encoding="utf-8", newline="") as broken_out,
    ):
        for _ in range(header_lines):
            source.readline()
        clean = csv.writer(clean_out, lineterminator="\n")
        broken = csv.writer(broken_out, lineterminator="\n")
        for record in split_records(source, dialect, n_columns, header_lines + 1):
            rows += 1
            if isinstance(record, Record):
                clean.writerow([record.line_number, *record.fields])
            else:
                broken.writerow([record.line_number, record.kind, record.reason, record.raw])
    plain = CsvDialect(",", '"')
    reader = _duckdb_csv(
        clean_path,
        _varchar_columns(n_columns, {"_line_number": "BIGINT"}),
        0,
        plain,
        False,
    )
    connection.execute(f"create or replace temp table {SRC} as select * from {reader}")
    columns = _varchar_columns(
        0,
        {
            "line_number": "BIGINT",
            "reason_kind": "VARCHAR",
            "reason": "VARCHAR",
            "raw_record": "VARCHAR",
        },
    )
    reader = _duckdb_csv(broken_path, columns, 0, plain, False)
    connection.execute(f"insert into {BROKEN} select * from {reader}")
    return rows


def _stage_csv(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    entity: Entity,
    scan: FileScan,
    workdir: _Workdir,
) -> Staged:
    readable, last_line, encoding = _readable_text(path, scan, workdir)
    dialect, names, header_lines = _read_header(readable, entity)
    map_columns(entity, names)  # reject a file that lacks a required column before reading it
    staged = Staged(names, "_line_number", 0, "csv", encoding, dialect.delimiter)
    fast = None
    if encoding != "utf-16":  # byte line counts of UTF-16 mean nothing; take the exact path
        fast = _stage_csv_fast(connection, readable, dialect, len(names), header_lines, last_line)
    if fast is not None:
        staged.line_sql, staged.rows_read = fast
    else:
        staged.rows_read = _stage_csv_exact(
            connection, readable, dialect, len(names), header_lines, workdir
        )
    return staged


def _stage_json_lines(
    connection: duckdb.DuckDBPyConnection, path: Path, scan: FileScan, workdir: _Workdir
) -> Staged:
    """JSON Lines: one object per line; a line that is not a JSON object is quarantined."""
    readable, _, encoding = _readable_text(path, scan, workdir)
    connection.execute(
        f"""
        create or replace temp table _loading_lines as
        select
            _line_number,
            line,
            coalesce(case when json_valid(line) then json_type(line) = 'OBJECT' end, false)
                as is_object
        from (
            select
                rtrim(ltrim(unnest(lines), chr(65279)), chr(13)) as line,
                unnest(range(1, len(lines) + 1)) as _line_number
            from (select string_split(content, chr(10)) as lines
                from read_text({_literal(str(readable))}))
        )
        where trim(line) <> ''
        """
    )
    keys = [
        row[0]
        for row in connection.execute(
            """
            select key from (
                select unnest(json_keys(line)) as key, _line_number
                from _loading_lines where is_object
            )
            group by key order by min(_line_number), key
            """
        ).fetchall()
    ]
    rows_read = connection.execute("select count(*) from _loading_lines").fetchone()[0]
    if rows_read == 0:
        raise FileRejected("empty file: no JSON lines")
    if not keys:
        raise FileRejected(
            "no line is a JSON object: a JSON Lines file holds one {...} object per line"
        )
    columns = [
        f"json_extract_string(line, {_literal('$.' + _quote(key))}) as c{i}"
        for i, key in enumerate(keys)
    ]
    connection.execute(
        f"create or replace temp table {SRC} as select _line_number"
        f"{''.join(', ' + c for c in columns)} from _loading_lines where is_object"
    )
    connection.execute(
        f"""
        insert into {BROKEN}
        select
            _line_number,
            '{INVALID_JSON}',
            case when json_valid(line) then 'invalid JSON line: not a JSON object'
                else 'invalid JSON line: the line does not parse as JSON' end,
            line
        from _loading_lines where not is_object
        """
    )
    connection.execute("drop table _loading_lines")
    return Staged(keys, "_line_number", rows_read, "json", encoding)


def _stage_parquet(connection: duckdb.DuckDBPyConnection, path: Path) -> Staged:
    reader = f"read_parquet({_literal(str(path))}, file_row_number = true)"
    described = connection.execute(f"describe select * from {reader}").fetchall()
    names = [row[0] for row in described if row[0] != "file_row_number"]
    columns = [f"cast({_quote(n)} as varchar) as c{i}" for i, n in enumerate(names)]
    connection.execute(
        f"create or replace temp table {SRC} as select file_row_number + 1 as _line_number"
        f"{''.join(', ' + c for c in columns)} from {reader}"
    )
    rows = connection.execute(f"select count(*) from {SRC}").fetchone()[0]
    return Staged(names, "_line_number", rows, "parquet")


# --- From staged text to typed raw rows and quarantine -------------------------------------------


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


def _problems(entity: Entity, columns: ColumnMap) -> list[tuple[str, str, str]]:
    """(kind, condition, message) SQL for every way a row of this file can fail the contract.

    Conditions refer to the parsed value by its contract name (a lateral alias in DuckDB), so each
    value is parsed once.
    """
    problems = []
    for column in entity.columns:
        if column.name not in columns.contract:
            continue
        text = f"nullif(trim(c{columns.contract[column.name]}), '')"
        if column.name in entity.required:
            message = _literal(f"missing required value: {column.name}")
            problems.append((MISSING_REQUIRED_VALUE, f"{text} is null", message))
        if column.kind != "string":
            parsed = _quote(column.name)
            message = f"'cannot parse {column.name} as {column.kind}: ' || {text}"
            problems.append(
                (UNPARSEABLE_VALUE, f"{text} is not null and {parsed} is null", message)
            )
    for group in entity.required_one_of:
        present = [columns.contract[n] for n in group if n in columns.contract]
        blank = " and ".join(f"nullif(trim(c{i}), '') is null" for i in present)
        message = _literal(f"missing required value: {' or '.join(group)} (at least one)")
        problems.append((MISSING_REQUIRED_VALUE, blank, message))
    return problems


def _raw_table(entity: Entity) -> str:
    return f"{RAW_SCHEMA}.{entity.name}"


def _ensure_raw_table(
    connection: duckdb.DuckDBPyConnection, entity: Entity, extra_columns: Iterable[str]
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
    for name in extra_columns:
        # Schema drift: extra columns are kept as text, never fatal.
        connection.execute(
            f"alter table {_raw_table(entity)} add column if not exists {_quote(name)} varchar"
        )


def _insert_staged(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    staged: Staged,
    columns: ColumnMap,
    load_id: str,
    path: Path,
) -> tuple[int, int]:
    """Typed rows into the raw table, the others into quarantine; (loaded, quarantined)."""
    _ensure_raw_table(connection, entity, columns.extras)
    problems = _problems(entity, columns)
    reasons = ", ".join(f"case when {cond} then {message} end" for _, cond, message in problems)
    kinds = ", ".join(f"case when {cond} then '{kind}' end" for kind, cond, _ in problems)
    record = ", ".join(f"{_literal(name)}, c{i}" for i, name in enumerate(columns.source_names))
    selected = []
    for column in entity.columns:
        if column.name in columns.contract:
            text = f"nullif(trim(c{columns.contract[column.name]}), '')"
            selected.append(f"{parse_expression(text, column.kind)} as {_quote(column.name)}")
        else:
            selected.append(f"cast(null as {DUCKDB_TYPES[column.kind]}) as {_quote(column.name)}")
    selected += [f"c{i} as {_quote(name)}" for name, i in columns.extras.items()]
    connection.execute(
        f"""
        create or replace temp table _loading_checked as
        select
            {staged.line_sql} as _line_number,
            {", ".join(selected)},
            {f"nullif(concat_ws('; ', {reasons}), '')" if problems else "null"} as _reason,
            {f"coalesce({kinds})" if problems else "null"} as _reason_kind,
            case when _reason is not null then json_object({record})::varchar end as _raw_record
        from {SRC}
        """
    )
    targets = ", ".join(_quote(n) for n in [*entity.column_names, *columns.extras])
    now = _now()
    connection.execute(
        f"""
        insert into {_raw_table(entity)} ({targets}, _load_id, _file_path, _line_number, _loaded_at)
        select {targets}, ?, ?, _line_number, ? from _loading_checked where _reason is null
        """,
        [load_id, str(path), now],
    )
    quarantine = (
        "insert into {table} (load_id, entity, file_path, line_number, reason_kind, reason,"
        " raw_record, quarantined_at) select ?, ?, ?, {columns}, ? from {source}"
    )
    connection.execute(
        quarantine.format(
            table=QUARANTINE_TABLE,
            columns="_line_number, _reason_kind, _reason, _raw_record",
            source="_loading_checked where _reason is not null",
        ),
        [load_id, entity.name, str(path), now],
    )
    connection.execute(
        quarantine.format(
            table=QUARANTINE_TABLE,
            columns="line_number, reason_kind, reason, raw_record",
            source=BROKEN,
        ),
        [load_id, entity.name, str(path), now],
    )
    loaded, invalid = connection.execute(
        "select count(*) filter (where _reason is null), count(_reason) from _loading_checked"
    ).fetchone()
    broken = connection.execute(f"select count(*) from {BROKEN}").fetchone()[0]
    for table in ("_loading_checked", SRC, BROKEN):
        connection.execute(f"drop table if exists {table}")
    return loaded, invalid + broken


def _load_file(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    scan: FileScan,
    load_id: str,
    workdir: _Workdir,
) -> FileLoad:
    """Load one file inside the caller's transaction; raises FileRejected to reject it whole."""
    if scan.size == 0:
        raise FileRejected("empty file: no header and no rows")
    fmt = FILE_SUFFIXES[path.suffix.lower()]
    _create_broken_table(connection)
    if fmt == "csv":
        staged = _stage_csv(connection, path, entity, scan, workdir)
    elif fmt == "json":
        staged = _stage_json_lines(connection, path, scan, workdir)
    else:
        staged = _stage_parquet(connection, path)
    columns = map_columns(entity, staged.names)
    loaded, quarantined = _insert_staged(connection, entity, staged, columns, load_id, path)
    if loaded + quarantined != staged.rows_read:
        raise RuntimeError(
            f"{path}: {staged.rows_read} rows read but {loaded} loaded and {quarantined}"
            " quarantined; the load was rolled back. This is a loader bug: please report it"
        )
    return FileLoad(
        entity.name,
        path,
        scan.content_hash,
        "loaded",
        rows_read=staged.rows_read,
        rows_loaded=loaded,
        rows_quarantined=quarantined,
        file_format=staged.file_format,
        encoding=staged.encoding,
        delimiter=staged.delimiter,
        extra_columns=tuple(columns.extras),
    )


def _record(
    connection: duckdb.DuckDBPyConnection,
    load: FileLoad,
    load_id: str,
    size: int,
    started_at: datetime,
) -> None:
    values = {
        "load_id": load_id,
        "entity": load.entity,
        "file_path": str(load.path),
        "file_name": load.path.name,
        "file_size": size,
        "content_hash": load.content_hash,
        "status": load.status,
        "reason": load.reason,
        "rows_read": load.rows_read,
        "rows_loaded": load.rows_loaded,
        "rows_quarantined": load.rows_quarantined,
        "started_at": started_at,
        "finished_at": _now(),
        "file_format": load.file_format,
        "encoding": load.encoding,
        "delimiter": load.delimiter,
        "extra_columns": ", ".join(load.extra_columns) or None,
    }
    connection.execute(
        f"insert into {MANIFEST_TABLE} ({', '.join(values)})"
        f" values ({', '.join('?' for _ in values)})",
        list(values.values()),
    )


def _load_one(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    scan: FileScan,
    load_id: str,
    workdir: _Workdir,
) -> FileLoad:
    """One file, one transaction with its manifest row; a rejected file records only its reason."""
    started_at = _now()
    fmt = FILE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        load = FileLoad(
            entity.name,
            path,
            scan.content_hash,
            "rejected",
            reason=f"unsupported file type {path.suffix or '(none)'!r}: export it as CSV,"
            " Parquet or JSON Lines (.csv, .parquet, .jsonl)",
        )
    else:
        connection.execute("begin transaction")
        try:
            load = _load_file(connection, entity, path, scan, load_id, workdir)
            _record(connection, load, load_id, scan.size, started_at)
            _pause_for_crash_test(path, workdir.folder)
            connection.execute("commit")
        except (FileRejected, duckdb.Error, OSError, UnicodeError) as error:
            connection.execute("rollback")
            reason = str(error) if isinstance(error, FileRejected) else f"unreadable: {error}"
            load = FileLoad(entity.name, path, scan.content_hash, "rejected", reason=reason)
            load.file_format = fmt
        except BaseException:
            connection.execute("rollback")
            raise
        finally:
            workdir.clean()
    if load.status == "rejected":
        log.warning("Rejected %s: %s", path, load.reason)
        _record(connection, load, load_id, scan.size, started_at)
    return load


def _pause_for_crash_test(path: Path, folder: Path) -> None:
    if os.environ.get(PAUSE_ENV) == path.name:
        (folder / "loading.paused").write_text(str(os.getpid()))
        time.sleep(600)


def _remove_stale_copies(warehouse: Path) -> None:
    """Temporary copies left by a load that was killed (we hold the warehouse lock now)."""
    for stale in warehouse.parent.glob(f"{TEMP_PREFIX}{warehouse.stem}-*"):
        stale.unlink(missing_ok=True)


def load_entity(
    warehouse: Path, landing_dir: Path, entity_name: str, load_id: str | None = None
) -> LoadResult:
    """Load the entity's new landing files; files whose content was seen before are skipped.

    Re-running on the same landing folder changes nothing: a (path, content) pair already in the
    manifest is passed over silently; a known content under a new path is recorded once as skipped.
    """
    entity = ENTITIES[entity_name]
    result = LoadResult(entity_name, load_id or new_load_id())
    with connect(warehouse) as connection:
        ensure_load_tables(connection)
        _remove_stale_copies(warehouse)
        workdir = _Workdir(warehouse.parent, f"{TEMP_PREFIX}{warehouse.stem}-")
        handled = {
            (path, digest)
            for path, digest in connection.execute(
                f"select file_path, content_hash from {MANIFEST_TABLE} where entity = ?",
                [entity_name],
            ).fetchall()
        }
        loaded = dict(
            connection.execute(
                f"select content_hash, min(file_path) from {MANIFEST_TABLE}"
                " where entity = ? and status = 'loaded' group by content_hash",
                [entity_name],
            ).fetchall()
        )
        files = sorted(
            [*landing_files(landing_dir, entity_name), *unsupported_files(landing_dir, entity_name)]
        )
        for path in files:
            scan = scan_file(path)
            if (str(path), scan.content_hash) in handled:
                continue
            handled.add((str(path), scan.content_hash))
            if scan.content_hash in loaded:
                reason = f"same content as {loaded[scan.content_hash]}, already loaded"
                load = FileLoad(entity_name, path, scan.content_hash, "skipped", reason=reason)
                log.info("Skipped %s: %s", path, reason)
                _record(connection, load, result.load_id, scan.size, _now())
            else:
                load = _load_one(connection, entity, path, scan, result.load_id, workdir)
                if load.status == "loaded":
                    loaded[scan.content_hash] = str(path)
            result.files.append(load)
        # Make sure a raw table exists even before the first file, so dbt sources resolve.
        _ensure_raw_table(connection, entity, [])
    return result


# --- Reconciliation and re-loading ---------------------------------------------------------------


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
        f"select _file_path, _load_id, count(*) from {_raw_table(entity)} group by all"
        if table_exists(connection, _raw_table(entity))
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
                _ensure_raw_table(connection, ENTITIES[name], [])
                table = _raw_table(ENTITIES[name])
                connection.execute(f"delete from {table} where _file_path = ?", [file_path])
        connection.execute(f"delete from {QUARANTINE_TABLE} where file_path = ?", [file_path])
        removed = connection.execute(
            f"delete from {MANIFEST_TABLE} where file_path = ?", [file_path]
        ).fetchone()[0]
        connection.execute("commit")
    return removed
