"""Readers: each stages one landing file (CSV, JSON Lines, Parquet) as text columns in DuckDB.

CSV files are read by DuckDB (fast path). When DuckDB reports a structural problem, or when its
record count does not account for every physical line of the file (it skips blank lines silently),
the file is split into records by Python's csv module instead (exact path, `csv_records`), which
quarantines the broken records with their line numbers and hands DuckDB a clean copy. Text that is
not UTF-8 is copied to UTF-8 first, in a `Workdir` next to the warehouse.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.contract import Entity
from orchestration.loading.columns import map_columns, normalize_column_name
from orchestration.loading.csv_records import Record, split_records
from orchestration.loading.outcomes import FileRejected
from orchestration.loading.sniffing import (
    BLOCK_BYTES,
    SAMPLE_BYTES,
    CsvDialect,
    FileScan,
    LineCounter,
    detect_encoding,
    sniff_dialect,
)
from orchestration.loading.sql import literal, quote
from orchestration.loading.tables import INVALID_JSON

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


def _varchar_columns(n: int, first: dict[str, str] | None = None) -> str:
    columns = {**(first or {}), **{f"c{i}": "VARCHAR" for i in range(n)}}
    return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in columns.items()) + "}"


def create_broken_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        f"create or replace temp table {BROKEN} (line_number bigint, reason_kind varchar,"
        " reason varchar, raw_record varchar)"
    )


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


def _utf8_copy(path: Path, encoding: str, workdir: Workdir) -> tuple[Path, int, str]:
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


def _readable_text(path: Path, scan: FileScan, workdir: Workdir) -> tuple[Path, int, str]:
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
        f"read_csv({literal(str(path))}, auto_detect = false, header = false, skip = {skip},"
        f" columns = {columns}, delim = {literal(dialect.delimiter)},"
        f" quote = {literal(dialect.quote)}, escape = {literal(dialect.quote)},"
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
    workdir: Workdir,
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


def stage_csv(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    entity: Entity,
    scan: FileScan,
    workdir: Workdir,
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


def stage_json_lines(
    connection: duckdb.DuckDBPyConnection, path: Path, scan: FileScan, workdir: Workdir
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
                from read_text({literal(str(readable))}))
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
        f"json_extract_string(line, {literal('$.' + quote(key))}) as c{i}"
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


def stage_parquet(connection: duckdb.DuckDBPyConnection, path: Path) -> Staged:
    reader = f"read_parquet({literal(str(path))}, file_row_number = true)"
    described = connection.execute(f"describe select * from {reader}").fetchall()
    names = [row[0] for row in described if row[0] != "file_row_number"]
    columns = [f"cast({quote(n)} as varchar) as c{i}" for i, n in enumerate(names)]
    connection.execute(
        f"create or replace temp table {SRC} as select file_row_number + 1 as _line_number"
        f"{''.join(', ' + c for c in columns)} from {reader}"
    )
    rows = connection.execute(f"select count(*) from {SRC}").fetchone()[0]
    return Staged(names, "_line_number", rows, "parquet")
