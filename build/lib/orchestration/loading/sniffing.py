"""What a file is, from its bytes: content hash, size, encoding, last line, and a CSV's dialect.

A file's bytes are read once (`scan_file`) for its hash, whether it is valid UTF-8, the number
of its last non-blank line and the length of its longest line. `not_text_reason` tells a
compressed or binary file from text before anyone tries to read it as CSV or JSON Lines.
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
    max_line_bytes: int = 0  # at least the length of the longest line, in bytes
    mtime_ns: int = 0  # the file's modification time when it was read (os.stat's st_mtime_ns)


SHORT_LINE_BYTES = 1 << 17


def _longest_inner_line(block: bytes, first: int, last: int) -> int:
    """A bound on the lines between the block's first and last line breaks: exact when one is
    longer than SHORT_LINE_BYTES, else SHORT_LINE_BYTES (a line break in every half of that
    length means no line is longer), without splitting the block into lines."""
    if last - first <= SHORT_LINE_BYTES:
        return last - first
    step = SHORT_LINE_BYTES // 2
    for start in range(first, last, step):
        if block.find(b"\n", start + 1, min(start + step, last) + 1) < 0:
            return max(map(len, block[first:last].split(b"\n")))
    return SHORT_LINE_BYTES


class LineCounter:
    """Counts, over byte blocks, the number of the last line that is not blank at the end, and
    bounds the length of the longest line (exact for lines longer than SHORT_LINE_BYTES)."""

    def __init__(self) -> None:
        self.newlines = 0
        self.last_content_line = 0
        self.max_line_bytes = 0
        self._open_line = 0  # bytes of the line still open at the end of the last block

    def update(self, block: bytes) -> None:
        content = block.rstrip(b"\r\n")
        if content:
            self.last_content_line = self.newlines + content.count(b"\n") + 1
        self.newlines += block.count(b"\n")
        first = block.find(b"\n")
        if first < 0:
            self._open_line += len(block)
            self.max_line_bytes = max(self.max_line_bytes, self._open_line)
            return
        last = block.rfind(b"\n")
        inner = _longest_inner_line(block, first, last)
        self.max_line_bytes = max(self.max_line_bytes, self._open_line + first, inner)
        self._open_line = len(block) - last - 1
        self.max_line_bytes = max(self.max_line_bytes, self._open_line)


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
    return FileScan(
        size, digest.hexdigest(), is_utf8, head, counter.last_content_line, counter.max_line_bytes
    )


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
    # UTF-16 without a BOM: text in Latin letters has a NUL byte every other byte (and, all ASCII,
    # may even be valid UTF-8).
    sample = head[:4096]
    if len(sample) >= 4:
        if sample[1::2].count(0) > 0.9 * len(sample[1::2]) and sample[0::2].count(0) == 0:
            return "utf-16-le"
        if sample[0::2].count(0) > 0.9 * len(sample[0::2]) and sample[1::2].count(0) == 0:
            return "utf-16-be"
    return "utf-8" if is_utf8 else "cp1252"


# What a binary file starts with, and what to do about it.
_SIGNATURES = (
    (b"\x1f\x8b", "it is gzip-compressed: decompress it (gunzip) and drop the export again"),
    (b"PK\x03\x04", "it is a ZIP archive (or an .xlsx workbook): export or extract it as CSV"),
    (b"BZh", "it is bzip2-compressed: decompress it and drop the export again"),
    (b"\xfd7zXZ\x00", "it is xz-compressed: decompress it and drop the export again"),
    (b"\x28\xb5\x2f\xfd", "it is zstd-compressed: decompress it and drop the export again"),
    (b"PAR1", "it is a Parquet file: name it .parquet"),
    (b"\xd0\xcf\x11\xe0", "it is an old Excel (.xls) workbook: export it as CSV"),
    (b"%PDF", "it is a PDF document, not a data export"),
)
CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0c") + b"\x7f"
BINARY_SHARE = 0.05  # control bytes in the first megabyte that make a file binary


def not_text_reason(head: bytes, encoding: str) -> str | None:
    """Why a file named .csv or .jsonl is not text (compressed, binary), or None when it is."""
    for signature, reason in _SIGNATURES:
        if head.startswith(signature):
            return f"not a text file: {reason}"
    if encoding.startswith("utf-16") or not head:
        return None
    controls = len(head) - len(head.translate(None, CONTROL_BYTES))
    if controls > BINARY_SHARE * len(head):
        return (
            f"not a text file: {controls / len(head):.0%} of its first bytes are control"
            " characters (binary data); export it as CSV, JSON Lines or Parquet"
        )
    return None


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
