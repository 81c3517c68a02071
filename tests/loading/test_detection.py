"""The pure helpers that decide how a file is read: encoding, dialect, header names, records."""

from __future__ import annotations

import codecs
import errno
from pathlib import Path

import duckdb
import pytest

from orchestration.contract import CONTACTS, ENGAGEMENT_EVENTS
from orchestration.loading import FileRejected
from orchestration.loading.columns import map_columns, normalize_column_name
from orchestration.loading.csv_records import BrokenRecord, Record, split_records
from orchestration.loading.reasons import REASON_MAX_CHARS, is_infrastructure_error, one_line
from orchestration.loading.sniffing import (
    CsvDialect,
    LineCounter,
    detect_encoding,
    not_text_reason,
    sniff_dialect,
)
from orchestration.loading.tables import BROKEN_QUOTING, WRONG_FIELD_COUNT


@pytest.mark.parametrize(
    ("head", "is_utf8", "expected"),
    [
        (codecs.BOM_UTF8 + b"contact_id", True, "utf-8-sig"),
        (codecs.BOM_UTF16_LE + b"c\x00", False, "utf-16"),
        ("Zoé".encode(), True, "utf-8"),
        ("Zoé €".encode("cp1252"), False, "cp1252"),
    ],
)
def test_encoding_comes_from_the_bom_then_utf8_validity(head, is_utf8, expected) -> None:
    assert detect_encoding(head, is_utf8) == expected


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("a,b,c\n1,2,3\n", CsvDialect(",", '"')),
        ("a;b;c\r\n1,5;2;3\r\n", CsvDialect(";", '"')),
        ("a\tb\tc\n", CsvDialect("\t", '"')),
        ("a|b|c\n", CsvDialect("|", '"')),
        ('"a;b",c,d\n', CsvDialect(",", '"')),  # a delimiter inside quotes does not count
        ("'a';'b'\n", CsvDialect(";", "'")),
        ("contact_id\nc1\n", CsvDialect(",", '"')),  # one column: the default
    ],
)
def test_dialect_is_sniffed_from_the_header_line(sample, expected) -> None:
    assert sniff_dialect(sample) == expected


def test_column_names_match_case_and_space_insensitively() -> None:
    assert normalize_column_name("\ufeff Contact ID ", 0) == "contact_id"
    assert normalize_column_name("first-name", 1) == "first_name"
    assert normalize_column_name("  ", 2) == "column_3"


def test_a_header_without_a_required_column_is_rejected_with_what_to_do() -> None:
    with pytest.raises(FileRejected, match=r"missing required column.*occurred_at"):
        map_columns(ENGAGEMENT_EVENTS, ["event_id", "event_type", "contact_id"])
    with pytest.raises(FileRejected, match="email or company_id"):
        map_columns(CONTACTS, ["contact_id", "first_name"])


def test_extra_columns_are_kept_and_never_collide_with_lineage() -> None:
    columns = map_columns(CONTACTS, ["contact_id", "email", "Score", "_load_id"])
    assert columns.contract == {"contact_id": 0, "email": 1}
    assert columns.extras == {"score": 2, "load_id": 3}


def test_duplicate_header_names_are_rejected() -> None:
    with pytest.raises(FileRejected, match="duplicate column name"):
        map_columns(CONTACTS, ["contact_id", "Email", "email"])


def test_line_counter_ignores_trailing_blank_lines_across_blocks() -> None:
    counter = LineCounter()
    for block in (b"h\na\n", b"b", b"\n\r\n", b"\n"):
        counter.update(block)
    assert counter.last_content_line == 3


def _split(text: str, n_fields: int = 3) -> list:
    return list(split_records(text.splitlines(keepends=True), CsvDialect(",", '"'), n_fields, 2))


def test_records_are_numbered_by_the_physical_line_they_start_on() -> None:
    records = _split('a,"multi\nline",c\n\nd,e,f\n')
    assert records == [Record(2, ["a", "multi\nline", "c"]), Record(5, ["d", "e", "f"])]


def test_an_unclosed_quote_costs_only_its_line() -> None:
    records = _split('a,"b,c\nd,e,f\ng,h,i\n')
    assert records[0] == BrokenRecord(
        2, BROKEN_QUOTING, "broken quoting: a quote opened on this line is never closed", 'a,"b,c'
    )
    assert records[1:] == [Record(3, ["d", "e", "f"]), Record(4, ["g", "h", "i"])]


def test_text_after_a_closing_quote_is_broken_quoting() -> None:
    records = _split('a,"b"x,c\nd,e,f\n')
    assert isinstance(records[0], BrokenRecord)
    assert (records[0].line_number, records[0].kind) == (2, BROKEN_QUOTING)
    assert records[1] == Record(3, ["d", "e", "f"])


def test_a_wrong_field_count_quarantines_the_whole_record() -> None:
    records = _split('a,b\nc,"d\ne",f,g\nh,i,j\n')
    assert [type(r) for r in records] == [BrokenRecord, BrokenRecord, Record]
    assert records[0] == BrokenRecord(
        2, WRONG_FIELD_COUNT, "wrong field count: expected 3 fields, found 2", "a,b"
    )
    assert records[1].raw == 'c,"d\ne",f,g'
    assert "lines 3-4" in records[1].reason
    assert records[2] == Record(5, ["h", "i", "j"])


@pytest.mark.parametrize("block_bytes", [7, 65_536, 1 << 20])
def test_line_counter_knows_the_longest_line_when_it_is_long(block_bytes: int) -> None:
    lengths = [10, 300_000, 0, 140_000, 2_000_000, 5]
    data = b"\n".join(b"x" * n for n in lengths)
    counter = LineCounter()
    for start in range(0, len(data), block_bytes):
        counter.update(data[start : start + block_bytes])
    assert counter.max_line_bytes == 2_000_000
    short = LineCounter()
    short.update(b"a,b\n" * 100_000)
    assert 3 <= short.max_line_bytes <= 1 << 17  # a bound, cheap to compute


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"PK\x03\x04", "ZIP"),
        (b"\x00\x01\x02\x03" * 100, "control characters"),
        (b"a,b\n" + b"c,d\x00e" * 5 + b"f" * 500 + b"\n", None),  # a few NUL bytes: text
    ],
)
def test_compressed_and_binary_files_are_not_text(head: bytes, expected: str | None) -> None:
    reason = not_text_reason(head, "utf-8")
    assert (reason is None) if expected is None else (expected in reason)


def test_utf16_without_a_bom_is_recognised() -> None:
    text = "event_id,event_type\ne1,x\n"
    assert detect_encoding(text.encode("utf-16-le"), True) == "utf-16-le"
    assert detect_encoding(text.encode("utf-16-be"), True) == "utf-16-be"


def test_reasons_are_one_short_line_without_internal_paths() -> None:
    text = "cannot read /tmp/abc/.loading-warehouse-x1.csv:\n\tline 2\x00 " + "x" * 500
    reason = one_line(text)
    assert reason.startswith("cannot read a temporary copy of the file: line 2 xxx")
    assert len(reason) < REASON_MAX_CHARS and reason.endswith("…")
    assert one_line("cannot parse 31/02/2025 in a/b/c") == "cannot parse 31/02/2025 in a/b/c"


def test_only_errors_of_the_warehouse_or_the_machine_stop_a_load() -> None:
    landing_file = Path("/landing/crm.csv")
    assert is_infrastructure_error(OSError(errno.ENOSPC, "No space left"), landing_file)
    assert is_infrastructure_error(duckdb.IOException("Could not set lock on file"), landing_file)
    written = duckdb.IOException('Could not write all bytes to file "warehouse.duckdb.wal"')
    assert is_infrastructure_error(written, landing_file)
    assert is_infrastructure_error(PermissionError(13, "denied", "/data/.loading-1"), landing_file)
    unreadable = PermissionError(13, "denied", str(landing_file))
    assert not is_infrastructure_error(unreadable, landing_file)
    assert not is_infrastructure_error(duckdb.InvalidInputException("bad CSV"), landing_file)
    assert not is_infrastructure_error(ValueError("odd"), landing_file)
