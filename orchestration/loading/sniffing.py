"""What a file is, from its bytes: content hash, size, encoding, last line, and a CSV's dialect.

A file's bytes are read once (`scan_file`) for its hash, whether it is valid UTF-8, and the number
of its last non-blank line.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 1 << 20
BLOCK_BYTES = 1 << 20


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


# --- CSV dialect -------------------------------------------------------------------------------


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
