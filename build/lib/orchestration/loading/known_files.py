"""What the load manifest already knows of an entity's landing files.

A file is recognised without being read when its path, size and modification time are those
recorded for it (the quick check rsync and make rely on): a daily load reads only the new or
changed files, whatever the number of files already loaded. A file whose size or time changed is
read and identified by its content hash, as a file never seen; when its content is known under
the same path (a touched file), its new time is recorded so that the next load passes it over
unread. Manifest rows without a time (written by an older loader, or for a file that could not be
read) never recognise a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.loading.tables import MANIFEST_TABLE


class KnownFiles:
    """The manifest's view of one entity: times, (path, content) pairs and loaded contents."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, entity: str) -> None:
        self.connection, self.entity = connection, entity
        rows = connection.execute(
            f"select file_path, content_hash, status, file_size, file_mtime_ns"
            f" from {MANIFEST_TABLE} where entity = ?",
            [entity],
        ).fetchall()
        # (path, size, time) of every file read before: recognised without reading it again
        self.stats = {
            (path, size, mtime) for path, digest, _, size, mtime in rows if mtime and digest
        }
        # (path, content): passed over silently; a path and content seen before
        self.handled = {(path, digest) for path, digest, *_ in rows}
        # content -> the first path it was loaded from, for the reason of a skipped duplicate
        self.loaded: dict[str, str] = {}
        for path, digest, status, *_ in rows:
            if status == "loaded" and (digest not in self.loaded or path < self.loaded[digest]):
                self.loaded[digest] = path

    def recognises(self, path: Path, stat: os.stat_result) -> bool:
        """Whether the file is one the manifest holds, by path, size and modification time."""
        return (str(path), stat.st_size, stat.st_mtime_ns) in self.stats

    def remember_time(self, path: Path, content_hash: str, size: int, mtime_ns: int) -> None:
        """A known path and content seen with a new time (touched, or recorded without one)."""
        self.connection.execute(
            f"update {MANIFEST_TABLE} set file_mtime_ns = ?"
            " where entity = ? and file_path = ? and content_hash = ?",
            [mtime_ns, self.entity, str(path), content_hash],
        )
        self.stats.add((str(path), size, mtime_ns))
