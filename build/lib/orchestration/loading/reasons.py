"""Reasons a person can act on: one line, short, without internal paths or error dumps.

Every reason the loader writes (a rejected file's in the manifest, a row's in the quarantine) goes
through `one_line`. An exception nobody planned for becomes a rejection whose reason names the
exception's class and the start of its message (`unexpected_error_reason`), unless it means the
warehouse itself cannot be written (`is_infrastructure_error`): then the load stops, as it should.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

REASON_MAX_CHARS = 300
# A path with at least two separators, not glued to a word: `/tmp/x/landing/contacts/a.csv`.
_PATH = re.compile(
    r"(?<![\w.])(?:[A-Za-z]:)?[/\\][^\s'\"]*[/\\]([^\s'\"/\\]*[^\s'\"/\\:,;.)])"
)  # the name does not end with punctuation: `at /a/b.csv: ...` keeps its colon
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The temporary copies a load makes next to the warehouse (see `readers.Workdir`).
TEMP_PREFIX = ".loading-"

# Errors of the machine, not of a file: the load stops instead of rejecting the file.
_INFRASTRUCTURE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}
_INFRASTRUCTURE_MESSAGES = (
    "no space left on device",
    "disk is full",
    "disk quota",
    "could not set lock",
    "database is locked",
    "read-only",
    "could not write",  # DuckDB writing the warehouse or its WAL
    "could not fsync",
    "could not truncate",
)


def one_line(text: str, limit: int = REASON_MAX_CHARS) -> str:
    """The text on one line, paths shortened to their last part, cut to fewer than `limit`."""
    text = _PATH.sub(lambda m: _short_name(m.group(1)), text)
    text = " ".join(_CONTROL.sub(" ", text).split())
    if len(text) < limit:
        return text
    return text[: limit - 2].rstrip() + "…"


def _short_name(name: str) -> str:
    return "a temporary copy of the file" if name.startswith(TEMP_PREFIX) else name


def name_list(names: Sequence[str], shown: int = 5, width: int = 20) -> str:
    """`a, b, c` for a few names; the first ones and how many in all for many; long names cut."""
    cut = [n if len(n) <= width else n[: width - 1] + "…" for n in names[:shown]]
    listed = ", ".join(cut) or "no columns"
    if len(names) > shown:
        listed += f", … ({len(names):,} in all)"
    return listed


def is_infrastructure_error(error: BaseException, landing_file: Path) -> bool:
    """Whether the error is the warehouse's or the machine's (disk full, lock), not the file's."""
    if isinstance(error, duckdb.FatalException | duckdb.InternalException):
        return True  # the database was invalidated: nothing more can be written
    if isinstance(error, OSError):
        if error.errno in _INFRASTRUCTURE_ERRNOS:
            return True
        # Reading the landing file failed: the file's problem. Anything else (the temporary
        # copies next to the warehouse) is the machine's.
        return error.filename not in (str(landing_file), landing_file)
    if isinstance(error, duckdb.IOException | duckdb.TransactionException):
        message = str(error).lower()
        return any(m in message for m in _INFRASTRUCTURE_MESSAGES)
    return False


def error_detail(error: BaseException) -> str:
    """`Class: message` of an exception, its first sentence, cut short (no line or SQL dump)."""
    message = " ".join(_PATH.sub(lambda m: _short_name(m.group(1)), str(error)).split())
    if isinstance(error, duckdb.Error):
        # DuckDB's messages repeat the line or the SQL they failed on; keep their first sentence.
        message = re.split(r"(?<=[a-z])\. |Original Line:|LINE \d+:", message, maxsplit=1)[0]
        message = re.sub(r"^[A-Za-z ]*Error: ", "", message).strip()
    return f"{type(error).__name__}: {message[:160]}" if message else type(error).__name__


def unexpected_error_reason(error: BaseException) -> str:
    """A rejection's reason for an exception that no rule of the loader describes."""
    return one_line(
        f"the file could not be read ({error_detail(error)}); check that it is a complete CSV,"
        " JSON Lines or Parquet export and drop it again"
    )
