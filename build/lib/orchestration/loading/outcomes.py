"""What loading a file comes to: loaded, skipped or rejected whole (`FileRejected`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class FileRejected(Exception):
    """A file that is rejected whole; the message is the reason stored in the manifest."""


@dataclass
class FileLoad:
    """What happened to one landing file."""

    entity: str
    path: Path
    content_hash: str
    status: str  # loaded, rejected, skipped (files waiting are in `LoadResult.waiting`)
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
    # Files left for a later load: too recent (maybe still being written) or in transfer.
    waiting: list[Path] = field(default_factory=list)

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
