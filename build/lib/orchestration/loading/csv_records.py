"""CSV records, the exact way: Python's csv module splits text lines into records numbered by
their physical line, and reports the broken ones (broken quoting, wrong field count).

A value may be as long as the file's longest line, and at least `MIN_FIELD_CHARS`: a quoted value
that grows past that is taken for a quote that is never closed. The bound keeps an unclosed quote
from swallowing the rest of a big file again and again.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from orchestration.loading.sniffing import CsvDialect
from orchestration.loading.tables import BROKEN_QUOTING, WRONG_FIELD_COUNT

MIN_FIELD_CHARS = 1 << 17  # Python's own default
# The text of a broken record kept in the quarantine, at most (the rest is counted, not kept).
MAX_RAW_CHARS = 1 << 20


def field_limit(max_line_bytes: int) -> int:
    """The longest value the csv module takes from a file whose lines are at most that long."""
    return max(MIN_FIELD_CHARS, max_line_bytes + 1)


def truncated_raw(text: str) -> str:
    if len(text) <= MAX_RAW_CHARS:
        return text
    return f"{text[:MAX_RAW_CHARS]}… [cut: {len(text):,} characters in all]"


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


def _quoting_reason(error: csv.Error, limit: int) -> str:
    message = str(error)
    if "end of data" in message:
        return "broken quoting: a quote opened on this line is never closed"
    if "field limit" in message:
        return (
            "broken quoting: a quote opened on this line is not closed within"
            f" {limit:,} characters (longer than any line of the file)"
        )
    if "after" in message and "expected" in message:
        return (
            "broken quoting: text follows a closing quote; a quote inside a quoted value"
            ' must be doubled ("")'
        )
    return f"unreadable record: {message}"


def split_records(
    lines: Iterable[str],
    dialect: CsvDialect,
    n_fields: int,
    first_line_number: int,
    max_field_chars: int = MIN_FIELD_CHARS,
) -> Iterator[Record | BrokenRecord]:
    """Split CSV text lines into records numbered by the physical line they start on.

    Blank lines are no records. A record whose quoting is broken costs only the line it starts
    on: it is reported broken and reading resumes on the next line. A record with the wrong
    number of fields is reported broken whole (all its lines). A value longer than
    `max_field_chars` is broken quoting (see `field_limit`).
    """
    csv.field_size_limit(max_field_chars)  # process-wide; every reader of the loader sets it
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
                    raw = truncated_raw("".join(taken).rstrip("\r\n"))
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
            if not taken:  # never loop on an error that consumed nothing
                raise
            first = truncated_raw(taken[0].rstrip("\r\n")) if taken else ""
            yield BrokenRecord(
                line_number, BROKEN_QUOTING, _quoting_reason(error, max_field_chars), first
            )
            source.push_back(taken[1:])
            line_number += 1
