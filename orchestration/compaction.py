"""Keep `warehouse.duckdb` its size: rewrite it into a new file when freed space piles up.

Why a rewrite: DuckDB never gives freed blocks back to the file system. Every run rebuilds the
dbt tables (a new table is written before the old one is dropped), so the file ends each run with
the old tables' blocks free: it grows to about twice its data and stays there, and a DELETE,
CHECKPOINT or VACUUM does not shrink it. Only copying the database into a new file does.

How: when `pragma database_size` shows more than `max_free_share` of the file's blocks free
(and at least `min_free_bytes`: a small file is not worth a rewrite),
the warehouse is checkpointed (its write-ahead log folded in), copied with `COPY FROM DATABASE`
into `.warehouse.duckdb.<id>.tmp` next to it (schemas, tables with their constraints and
comments, views, macros), the copy is checkpointed and fsynced, then renamed over the
warehouse (`os.replace`, atomic on POSIX). A kill at any moment leaves either the old file or
the new one, each whole; a half-written copy is only ever the temporary file, removed by the
next attempt. The caller holds the home's lock, so no other writer opens the warehouse meanwhile.

The Dagster asset that compacts after every publication is in `orchestration/defs/published.py`.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.durable import fsync_path
from orchestration.publishing import quote_literal, remove_leftovers

# A run that rebuilds every table frees about half the file; an incremental one frees little.
# Above this share of free blocks the file is rewritten: it then stays within 1 / (1 - 0.2) =
# 1.25 times its data, and a run that frees little costs no rewrite.
DEFAULT_MAX_FREE_SHARE = 0.2
# Below this much free space a rewrite is not worth its time (about half a second on a file of a
# few MiB, every run of a small base): DuckDB reuses free blocks, so the file stays within its
# data and this.
DEFAULT_MIN_FREE_BYTES = 64 << 20
# The copy holds the used blocks; a margin for its metadata and write-ahead log.
DISK_MARGIN = 1.1


@dataclass(frozen=True)
class FileSpace:
    """How much of a database file holds data (from `pragma database_size`)."""

    file_bytes: int
    total_blocks: int
    free_blocks: int

    @property
    def free_share(self) -> float:
        return self.free_blocks / self.total_blocks if self.total_blocks else 0.0

    @property
    def free_bytes(self) -> int:
        return int(self.file_bytes * self.free_share)


@dataclass(frozen=True)
class Compaction:
    """What one compaction did: the file's size and free share before, its size after."""

    path: Path
    rewritten: bool
    bytes_before: int
    bytes_after: int
    free_share_before: float
    seconds: float
    skipped_because: str = ""


def file_space(database: Path) -> FileSpace:
    """The database's size and free blocks, read without writing (its WAL is replayed in memory)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        total, free = connection.execute(
            "select total_blocks, free_blocks from pragma_database_size()"
        ).fetchone()
    return FileSpace(database.stat().st_size, total, free)


def _wal_of(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def rewrite(database: Path) -> None:
    """Copy the database into a new file and swap it in atomically (see the module's doc)."""
    remove_leftovers(database)
    with duckdb.connect(str(database)) as connection:
        connection.execute("checkpoint")  # its WAL must not outlive it: it would not fit the copy
    if _wal_of(database).exists():
        raise RuntimeError(f"{_wal_of(database)} remains after a checkpoint: not rewriting it.")
    staging = database.with_name(f".{database.name}.{uuid.uuid4().hex}.tmp")
    try:
        with duckdb.connect() as connection:
            connection.execute("set enable_progress_bar = false")  # it would fill the run's log
            connection.execute(f"attach {quote_literal(str(database))} as source (read_only)")
            connection.execute(f"attach {quote_literal(str(staging))} as target")
            connection.execute("copy from database source to target")
            connection.execute("detach target")  # checkpoints the copy and closes it
            connection.execute("detach source")
        fsync_path(staging)
        os.replace(staging, database)
        fsync_path(database.parent)
    finally:
        remove_leftovers(database)


def compact_if_needed(
    database: Path,
    max_free_share: float = DEFAULT_MAX_FREE_SHARE,
    min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
) -> Compaction:
    """Rewrite the database when more than `max_free_share` of its blocks, and at least
    `min_free_bytes`, are free."""
    started = time.perf_counter()
    remove_leftovers(database)  # a copy a killed rewrite left, even when no rewrite follows
    before = file_space(database)
    needed = before.free_share > max_free_share and before.free_bytes >= min_free_bytes
    copy_bytes = int(before.file_bytes * (1 - before.free_share) * DISK_MARGIN)
    disk_free = shutil.disk_usage(database.parent).free
    # a full disk would fail the run after a good publication: the next run tries again
    short = needed and disk_free < copy_bytes
    if needed and not short:
        rewrite(database)
    return Compaction(
        path=database,
        rewritten=needed and not short,
        skipped_because=(
            f"{disk_free / 2**20:.0f} MiB free on disk, {copy_bytes / 2**20:.0f} MiB needed"
            if short
            else ""
        ),
        bytes_before=before.file_bytes,
        bytes_after=database.stat().st_size,
        free_share_before=before.free_share,
        seconds=time.perf_counter() - started,
    )
