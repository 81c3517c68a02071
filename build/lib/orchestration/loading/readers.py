"""Readers: each stages one landing file (CSV, JSON Lines, Parquet) as text columns in DuckDB.

CSV files are read by DuckDB (fast path). When DuckDB reports a structural problem or fails, or
when its record count does not account for every physical line of the file (it skips blank lines
silently), the file is split into records by Python's csv module instead (exact path,
`csv_records`), which quarantines the broken records with their line numbers and hands DuckDB a
clean copy of the good ones. Text that is not UTF-8 is copied to UTF-8 first, in a `Workdir` next to
the warehouse. Compressed and binary files, lines over `MAX_LINE_BYTES` and headers of more than
`MAX_COLUMNS` columns are rejected with a reason that says so.

Staging writes only temp tables, outside the file's transaction: a DuckDB error while reading
leaves the transaction untouched, so the reader can fall back to the exact path. The staged table
is made in one statement with the columns the caller derives from the text (`Checks`: the
contract values parsed, each row's reason), so the file's text is copied once before the raw
table and the quarantine are written.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.contract import Entity
from orchestration.loading.columns import map_columns, normalize_column_name, required_names
from orchestration.loading.csv_records import Record, field_limit, split_records
from orchestration.loading.outcomes import FileRejected
from orchestration.loading.reasons import error_detail, is_infrastructure_error, name_list
from orchestration.loading.sniffing import (
    BLOCK_BYTES,
    SAMPLE_BYTES,
    CsvDialect,
    FileScan,
    LineCounter,
    detect_encoding,
    not_text_reason,
    sniff_dialect,
)
from orchestration.loading.sql import literal, quote
from orchestration.loading.tables import INVALID_JSON

# Every reader leaves a temp table `_loading_src` with text columns c0..cN (the file's columns in
# order), the columns `Checks` derives from them, and a line number expression, plus
# `_loading_broken` for records that could not be split.

SRC = "_loading_src"
BROKEN = "_loading_broken"

# The file's column names -> SQL select items computed from c0..cN while the file is staged.
Checks = Callable[[list[str]], str]

# Limits that keep one file from exhausting the machine; a file past them is rejected, saying so.
MAX_COLUMNS = 2_000
MAX_NAME_CHARS = 1_000
MAX_LINE_BYTES = 256 << 20
DUCKDB_MAX_LINE_SIZE = 8 << 20  # DuckDB's own limit is raised for files with longer lines
BATCH_ROWS = 50_000
BATCH_BYTES = 64 << 20


@dataclass
class Staged:
    names: list[str]  # the file's column names, in order
    line_sql: str  # SQL for a row's physical line number in SRC
    rows_read: int
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None


def _create_src(
    connection: duckdb.DuckDBPyConnection, relation: str, names: list[str], checks: Checks
) -> None:
    """The staged table: the relation's columns and the checked ones, in one pass."""
    connection.execute(
        f"create or replace temp table {SRC} as select *, {checks(names)} from {relation}"
    )


def _varchar_columns(n: int, first: dict[str, str] | None = None) -> str:
    columns = {**(first or {}), **{f"c{i}": "VARCHAR" for i in range(n)}}
    return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in columns.items()) + "}"


def create_broken_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        f"create or replace temp table {BROKEN} (line_number bigint, reason_kind varchar,"
        " reason varchar, raw_record varchar)"
    )


def drop_staging(connection: duckdb.DuckDBPyConnection) -> None:
    """Drop what staging a file left (after a rejection); never masks the error being handled."""
    for table in (SRC, BROKEN, "_loading_lines"):
        try:
            connection.execute(f"drop table if exists {table}")
        except duckdb.Error:
            return


class Workdir:
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


@dataclass(frozen=True)
class Readable:
    """A text file DuckDB can read as UTF-8 (the landing file or a copy), and what it holds."""

    path: Path
    last_line: int  # the number of its last content line
    max_line_bytes: int  # at least the length of its longest line
    encoding: str  # the landing file's encoding


def _utf8_copy(path: Path, encoding: str, workdir: Workdir) -> Readable:
    """A UTF-8 copy of a text file DuckDB cannot read as is."""
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
            return Readable(target, counter.last_content_line, counter.max_line_bytes, codec)
        except UnicodeError:
            continue
    raise FileRejected(f"cannot decode the file as {encoding} or latin-1")


def readable_text(path: Path, scan: FileScan, workdir: Workdir) -> Readable:
    """The file as UTF-8 text; rejects compressed and binary files and overlong lines."""
    encoding = detect_encoding(scan.head, scan.is_utf8)
    not_text = not_text_reason(scan.head, encoding)
    if not_text:
        raise FileRejected(not_text)
    if encoding == "utf-8-sig" and not scan.is_utf8:
        raise FileRejected(
            "the file starts with a UTF-8 byte order mark but is not valid UTF-8: save it again"
            " as UTF-8, or without the mark in its real encoding"
        )
    if encoding in ("utf-8", "utf-8-sig"):
        readable = Readable(path, scan.last_content_line, scan.max_line_bytes, encoding)
    else:
        readable = _utf8_copy(path, encoding, workdir)
    if readable.max_line_bytes > MAX_LINE_BYTES:
        raise FileRejected(
            f"a line of the file is over {MAX_LINE_BYTES >> 20} MiB long"
            f" ({readable.max_line_bytes / (1 << 20):,.0f} MiB): the loader reads lines up to that"
            " size; check the file's line breaks or split the value"
        )
    return readable


def _no_header_reason(entity: Entity, header: list[str]) -> str:
    return (
        f"no column matches the contract: the first line ({name_list(header)}) names none of"
        f" the columns {entity.name} needs ({', '.join(required_names(entity))}); add a header"
        " line naming the columns and drop the file again"
    )


def _read_header(readable: Path, entity: Entity) -> tuple[CsvDialect, list[str], int]:
    """The dialect, the column names and the number of header lines (0 when headerless)."""
    with readable.open(encoding="utf-8-sig", newline="", errors="replace") as handle:
        sample = handle.read(SAMPLE_BYTES)
        more = bool(handle.read(1))
    if not sample.strip():
        if more:
            raise FileRejected(
                f"the file's first {SAMPLE_BYTES >> 20} MiB hold only blank lines: remove them"
            )
        raise FileRejected("empty file: no header and no rows")
    body = sample.lstrip("\r\n")
    if more and "\n" not in body and "\r" not in body:
        raise FileRejected(
            f"the first line is over {SAMPLE_BYTES >> 20} MiB long, so it is no header line:"
            " check that the file is a CSV export with one record per line"
        )
    dialect = sniff_dialect(sample)
    csv.field_size_limit(SAMPLE_BYTES + 1)
    reader = csv.reader(
        io.StringIO(sample, newline=""), delimiter=dialect.delimiter, quotechar=dialect.quote
    )
    try:
        header = next((row for row in reader if row), [])
    except csv.Error as error:
        raise FileRejected(f"the header line cannot be read as CSV: {error}") from error
    header_lines = reader.line_num
    if len(header) > MAX_COLUMNS:
        raise FileRejected(
            f"too many columns: the first line has {len(header):,} fields and the loader reads"
            f" at most {MAX_COLUMNS:,}; check the delimiter and the header line"
        )
    if any(len(name) > MAX_NAME_CHARS for name in header):
        raise FileRejected(
            f"a column name of the first line is over {MAX_NAME_CHARS:,} characters long: is a"
            " quote of the header line never closed?"
        )
    known = set(entity.column_names)
    if any(normalize_column_name(n, i) in known for i, n in enumerate(header)):
        return dialect, header, header_lines
    if len(header) == len(entity.columns):
        # No header: the columns are in the contract's order (what `funnel generate` writes).
        return dialect, list(entity.column_names), 0
    raise FileRejected(_no_header_reason(entity, header))


def _duckdb_csv(
    path: Path, columns: str, skip: int, dialect: CsvDialect, max_line_bytes: int = 0
) -> str:
    """DuckDB's strict CSV reader: it fails on the first structural problem of the file."""
    max_line_size = max(DUCKDB_MAX_LINE_SIZE, max_line_bytes + 1024)
    return (
        f"read_csv({literal(str(path))}, auto_detect = false, header = false, skip = {skip},"
        f" columns = {columns}, delim = {literal(dialect.delimiter)},"
        f" quote = {literal(dialect.quote)}, escape = {literal(dialect.quote)},"
        f" strict_mode = true, null_padding = false, max_line_size = {max_line_size})"
    )


def _stage_csv_fast(
    connection: duckdb.DuckDBPyConnection,
    readable: Readable,
    dialect: CsvDialect,
    names: list[str],
    header_lines: int,
    checks: Checks,
) -> tuple[str, int] | None:
    """Read with DuckDB: the line number SQL and row count, or None to take the exact path.

    DuckDB fails on a file's first structural problem (broken quoting, a wrong field count, a
    line too long); staging runs outside the file's transaction, so the exact path takes over.
    """
    n_columns = len(names)
    columns = _varchar_columns(n_columns)
    reader = _duckdb_csv(readable.path, columns, header_lines, dialect, readable.max_line_bytes)
    try:
        _create_src(connection, reader, names, checks)
    except duckdb.Error as error:
        if is_infrastructure_error(error, readable.path):
            raise
        return None  # whatever DuckDB stumbled on, the exact path reads record by record
    rows, first_rowid, last_rowid = connection.execute(
        f"select count(*), coalesce(min(rowid), 0), coalesce(max(rowid), -1) from {SRC}"
    ).fetchone()
    last_line = readable.last_line
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


def _insert_rows(
    connection: duckdb.DuckDBPyConnection, table: str, names: list[str], rows: list[list]
) -> None:
    """Rows (a line number, then text values) into a temp table, through Arrow."""
    if not rows:
        return
    columns = zip(*rows, strict=True)
    batch = pa.table(
        {
            name: pa.array(values, pa.int64() if i == 0 else pa.large_string())
            for i, (name, values) in enumerate(zip(names, columns, strict=True))
        }
    )
    connection.register("_loading_batch", batch)
    try:
        connection.execute(f"insert into {table} select * from _loading_batch")
    finally:
        connection.unregister("_loading_batch")


def _stage_csv_exact(
    connection: duckdb.DuckDBPyConnection,
    readable: Readable,
    dialect: CsvDialect,
    names: list[str],
    header_lines: int,
    workdir: Workdir,
    checks: Checks,
) -> int:
    """Split records with Python's csv module; clean records go to DuckDB through a clean CSV
    copy (quoted by Python, read by DuckDB in parallel), broken ones through Arrow."""
    n_columns = len(names)
    clean_path = workdir.new(".csv")
    broken_names = ["line_number", "reason_kind", "reason", "raw_record"]
    broken: list[list] = []
    broken_chars = rows = 0
    with (
        readable.path.open(encoding="utf-8-sig", newline="") as source,
        clean_path.open("w", encoding="utf-8", newline="") as clean_out,
    ):
        for _ in range(header_lines):
            source.readline()
        clean = csv.writer(clean_out, lineterminator="\n")
        records = split_records(
            source, dialect, n_columns, header_lines + 1, field_limit(readable.max_line_bytes)
        )
        for record in records:
            rows += 1
            if isinstance(record, Record):
                clean.writerow([record.line_number, *record.fields])
                continue
            broken.append([record.line_number, record.kind, record.reason, record.raw])
            broken_chars += len(record.raw)
            if len(broken) >= BATCH_ROWS or broken_chars >= BATCH_BYTES:
                _insert_rows(connection, BROKEN, broken_names, broken)
                broken, broken_chars = [], 0
    _insert_rows(connection, BROKEN, broken_names, broken)
    # Quoting at most doubles a line, and the line number comes first.
    reader = _duckdb_csv(
        clean_path,
        _varchar_columns(n_columns, {"_line_number": "BIGINT"}),
        0,
        CsvDialect(",", '"'),
        2 * readable.max_line_bytes + 32,
    )
    _create_src(connection, reader, names, checks)
    return rows


def stage_csv(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    entity: Entity,
    scan: FileScan,
    workdir: Workdir,
    checks: Checks,
) -> Staged:
    readable = readable_text(path, scan, workdir)
    dialect, names, header_lines = _read_header(readable.path, entity)
    map_columns(entity, names)  # reject a file that lacks a required column before reading it
    staged = Staged(names, "_line_number", 0, "csv", readable.encoding, dialect.delimiter)
    fast = None
    if not readable.encoding.startswith("utf-16"):  # UTF-16 files take the exact path
        fast = _stage_csv_fast(connection, readable, dialect, names, header_lines, checks)
    if fast is not None:
        staged.line_sql, staged.rows_read = fast
    else:
        staged.rows_read = _stage_csv_exact(
            connection, readable, dialect, names, header_lines, workdir, checks
        )
    return staged


def _json_pointer(key: str) -> str:
    """The JSON pointer of a top-level key: any key, empty or holding quotes, dots or slashes."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def stage_json_lines(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    scan: FileScan,
    workdir: Workdir,
    checks: Checks,
) -> Staged:
    """JSON Lines: one object per line; a line that is not a JSON object is quarantined."""
    readable = readable_text(path, scan, workdir)
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
            from (select string_split_regex(content, '\\r\\n|\\r|\\n') as lines
                from read_text({literal(str(readable.path))}))
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
    if len(keys) > MAX_COLUMNS:
        raise FileRejected(
            f"too many keys: the objects have {len(keys):,} different keys and the loader reads"
            f" at most {MAX_COLUMNS:,} columns"
        )
    columns = [
        f"json_extract_string(line, {literal(_json_pointer(key))}) as c{i}"
        for i, key in enumerate(keys)
    ]
    objects = (
        f"(select _line_number{''.join(', ' + c for c in columns)}"
        " from _loading_lines where is_object)"
    )
    _create_src(connection, objects, keys, checks)
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
    return Staged(keys, "_line_number", rows_read, "json", readable.encoding)


def stage_parquet(
    connection: duckdb.DuckDBPyConnection, path: Path, scan: FileScan, checks: Checks
) -> Staged:
    if not scan.head.startswith(b"PAR1"):
        raise FileRejected(
            "not a Parquet file: it does not start with the Parquet signature (PAR1); export it"
            " again as Parquet, or name it after its real format"
        )
    reader = f"read_parquet({literal(str(path))}, file_row_number = true)"
    try:
        described = connection.execute(f"describe select * from {reader}").fetchall()
        names = [row[0] for row in described if row[0] != "file_row_number"]
        if len(names) > MAX_COLUMNS:
            raise FileRejected(
                f"too many columns: the file has {len(names):,} columns and the loader reads at"
                f" most {MAX_COLUMNS:,}"
            )
        columns = [f"cast({quote(n)} as varchar) as c{i}" for i, n in enumerate(names)]
        numbered = (
            f"(select file_row_number + 1 as _line_number{''.join(', ' + c for c in columns)}"
            f" from {reader})"
        )
        _create_src(connection, numbered, names, checks)
    except duckdb.Error as error:
        if is_infrastructure_error(error, path):
            raise
        raise FileRejected(
            f"the Parquet file is truncated or corrupt ({error_detail(error)}); export it again"
        ) from error
    rows = connection.execute(f"select count(*) from {SRC}").fetchone()[0]
    return Staged(names, "_line_number", rows, "parquet")
