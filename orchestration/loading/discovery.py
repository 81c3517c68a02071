"""Which landing files there are: an entity's loadable files, its unsupported ones, and entries
under landing that belong to no entity. Hidden files (editor and OS droppings) are none of them."""

from __future__ import annotations

from pathlib import Path

from orchestration.contract import ENTITIES

FILE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".jsonl": "json", ".ndjson": "json"}


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
