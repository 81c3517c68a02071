"""Which landing files there are: an entity's loadable files, its unsupported ones, and entries
under landing that belong to no entity. Hidden files (editor and OS droppings) are none of them.

A file is loaded only once it is complete (`is_settled`): it has a `<file>.done` marker next to
it, or it has not been modified for the landing's minimum age. Files still being transferred under
a partial name (`.part`, `.crdownload`, ...) are never loaded under that name; the `.done`
markers themselves are no landing files.
"""

from __future__ import annotations

import time
from pathlib import Path

from orchestration.contract import ENTITIES

FILE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".jsonl": "json", ".ndjson": "json"}
DONE_SUFFIX = ".done"
# What browsers, WinSCP, curl and friends name a file while it is being written.
IN_TRANSFER_SUFFIXES = {".part", ".partial", ".filepart", ".crdownload", ".download", ".tmp"}


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


def _other_files(landing_dir: Path, entity: str) -> list[Path]:
    folder = landing_dir / entity
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and not _is_hidden(p)
        and p.suffix.lower() not in FILE_SUFFIXES
        and p.suffix.lower() != DONE_SUFFIX
    )


def unsupported_files(landing_dir: Path, entity: str) -> list[Path]:
    """Files in the entity's folder that the loader cannot read (rejected with a reason)."""
    return [
        p for p in _other_files(landing_dir, entity) if p.suffix.lower() not in IN_TRANSFER_SUFFIXES
    ]


def in_transfer_files(landing_dir: Path, entity: str) -> list[Path]:
    """Files in the entity's folder named as still being transferred (`x.csv.part`)."""
    return [
        p for p in _other_files(landing_dir, entity) if p.suffix.lower() in IN_TRANSFER_SUFFIXES
    ]


def is_settled(path: Path, min_age_seconds: float, now: float | None = None) -> bool:
    """Whether a landing file is complete: marked done, or unmodified for the minimum age."""
    if path.suffix.lower() in IN_TRANSFER_SUFFIXES:
        return False
    if path.with_name(path.name + DONE_SUFFIX).is_file():
        return True
    try:
        modified = path.stat().st_mtime
    except OSError:
        return False  # gone, or renamed, while we looked
    return (time.time() if now is None else now) - modified >= min_age_seconds


def waiting_files(landing_dir: Path, entity: str, min_age_seconds: float) -> list[Path]:
    """The entity's files that a load would not take yet: too recent, or still in transfer."""
    now = time.time()
    candidates = [*landing_files(landing_dir, entity), *unsupported_files(landing_dir, entity)]
    return sorted(
        [p for p in candidates if not is_settled(p, min_age_seconds, now)]
        + in_transfer_files(landing_dir, entity)
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
