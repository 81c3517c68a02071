"""Loading an entity: its new landing files, one transaction per file with its manifest row.

A file whose content was loaded before is skipped; a file that cannot be read is rejected whole
with its reason, whatever went wrong, and the load goes on; a file not yet complete waits for a
later load; a crash midway through a file leaves nothing of it behind.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.contract import ENTITIES, Entity
from orchestration.loading.casting import checked_columns, insert_staged
from orchestration.loading.columns import map_columns
from orchestration.loading.discovery import (
    FILE_SUFFIXES,
    in_transfer_files,
    is_settled,
    landing_files,
    unsupported_files,
)
from orchestration.loading.known_files import KnownFiles
from orchestration.loading.outcomes import FileLoad, FileRejected, LoadResult
from orchestration.loading.readers import (
    Staged,
    Workdir,
    create_broken_table,
    drop_staging,
    stage_csv,
    stage_json_lines,
    stage_parquet,
)
from orchestration.loading.reasons import (
    TEMP_PREFIX,
    is_infrastructure_error,
    one_line,
    unexpected_error_reason,
)
from orchestration.loading.scanning import scanned_ahead
from orchestration.loading.sniffing import FileScan, scan_file
from orchestration.loading.tables import (
    MANIFEST_TABLE,
    connect,
    ensure_load_tables,
    ensure_raw_table,
    utc_now,
)
from orchestration.privacy.suppression import PRIVACY_FOLDER, Suppression
from orchestration.settings import landing_min_age_seconds

log = logging.getLogger(__name__)

# DuckDB checkpoints whenever its write-ahead log passes 16 MB by default: a load committing many
# small files would rewrite the tables every few files (a quarter of its time with 100 files of
# 20,000 rows). Each file's commit is durable in the log either way; the warehouse checkpoints
# when the load closes it.
CHECKPOINT_THRESHOLD = "256MB"


def new_load_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _stage(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    scan: FileScan,
    workdir: Workdir,
) -> Staged:
    """The file staged in temp tables (outside any transaction); FileRejected to reject it."""
    if scan.size == 0:
        raise FileRejected("empty file: no header and no rows")
    fmt = FILE_SUFFIXES[path.suffix.lower()]
    create_broken_table(connection)

    def checks(names: list[str]) -> str:  # parsed values and reasons, computed while staging
        return checked_columns(entity, map_columns(entity, names))

    if fmt == "csv":
        return stage_csv(connection, path, entity, scan, workdir, checks)
    if fmt == "json":
        return stage_json_lines(connection, path, scan, workdir, checks)
    return stage_parquet(connection, path, scan, checks)


def _rollback(connection: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.TransactionException):  # a failed commit ended it already
        connection.execute("rollback")


def _record(
    connection: duckdb.DuckDBPyConnection,
    load: FileLoad,
    load_id: str,
    size: int,
    mtime_ns: int | None,
    started_at: datetime,
) -> None:
    values = {
        "load_id": load_id,
        "entity": load.entity,
        "file_path": str(load.path),
        "file_name": load.path.name,
        "file_size": size,
        "file_mtime_ns": mtime_ns,
        "content_hash": load.content_hash,
        "status": load.status,
        "reason": None if load.reason is None else one_line(load.reason),
        "rows_read": load.rows_read,
        "rows_loaded": load.rows_loaded,
        "rows_quarantined": load.rows_quarantined,
        "started_at": started_at,
        "finished_at": utc_now(),
        "file_format": load.file_format,
        "encoding": load.encoding,
        "delimiter": load.delimiter,
        "extra_columns": ", ".join(load.extra_columns) or None,
    }
    connection.execute(
        f"insert into {MANIFEST_TABLE} ({', '.join(values)})"
        f" values ({', '.join('?' for _ in values)})",
        list(values.values()),
    )


@dataclass(frozen=True)
class _EntityLoad:
    """One load of an entity: what loading each of its files needs."""

    connection: duckdb.DuckDBPyConnection
    entity: Entity
    load_id: str
    workdir: Workdir
    before_commit: Callable[[Path], None] | None
    suppression: Suppression  # registered on the connection

    def file(self, path: Path, scan: FileScan) -> FileLoad:
        """One file, one transaction with its manifest row; a rejected file records only its
        reason.

        Whatever goes wrong with the file rejects it, with a reason; only an error of the
        warehouse or the machine (disk full, lock) stops the load.
        """
        started_at = utc_now()
        fmt = FILE_SUFFIXES.get(path.suffix.lower())
        reason = None
        if fmt is None:
            reason = (
                f"unsupported file type {path.suffix or '(none)'!r}: export it as CSV,"
                " Parquet or JSON Lines (.csv, .parquet, .jsonl)"
            )
        else:
            try:
                return self._load(path, scan, started_at)
            except FileRejected as error:
                reason = str(error)
            except Exception as error:
                if is_infrastructure_error(error, path):
                    raise
                log.exception("Unexpected error while loading %s", path)
                reason = unexpected_error_reason(error)
            finally:
                self.workdir.clean()
                drop_staging(self.connection)
        load = FileLoad(
            self.entity.name, path, scan.content_hash, "rejected", reason=one_line(reason)
        )
        load.file_format = fmt
        log.warning("Rejected %s: %s", path, load.reason)
        _record(self.connection, load, self.load_id, scan.size, scan.mtime_ns, started_at)
        return load

    def _load(self, path: Path, scan: FileScan, started_at: datetime) -> FileLoad:
        """Stage the file, then write its rows and manifest row in one transaction."""
        connection, entity = self.connection, self.entity
        staged = _stage(connection, entity, path, scan, self.workdir)
        columns = map_columns(entity, staged.names)
        connection.execute("begin transaction")
        try:
            loaded, quarantined = insert_staged(
                connection, entity, staged, columns, self.load_id, path, self.suppression
            )
            if loaded + quarantined != staged.rows_read:
                raise RuntimeError(
                    f"{staged.rows_read} rows read but {loaded} loaded and {quarantined}"
                    " quarantined; the load was rolled back. This is a loader bug: please"
                    " report it"
                )
            load = FileLoad(
                entity.name,
                path,
                scan.content_hash,
                "loaded",
                rows_read=staged.rows_read,
                rows_loaded=loaded,
                rows_quarantined=quarantined,
                file_format=staged.file_format,
                encoding=staged.encoding,
                delimiter=staged.delimiter,
                extra_columns=tuple(columns.extras),
            )
            _record(connection, load, self.load_id, scan.size, scan.mtime_ns, started_at)
            if self.before_commit is not None:
                self.before_commit(path)
            connection.execute("commit")
        except BaseException:
            _rollback(connection)
            raise
        return load


def _scan(path: Path) -> FileScan | str | None:
    """The file's scan; None when it is still changing or gone; a reason when it is unreadable."""
    try:
        before = path.stat()
        scan = scan_file(path)
        after = path.stat()
    except FileNotFoundError:
        return None  # moved away while we looked: nothing to load
    except OSError as error:
        if is_infrastructure_error(error, path):
            raise
        return f"cannot read the file: {error.strerror or error}; check its permissions"
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
        return None  # written to while we read it: still being copied
    if after.st_size != scan.size:
        return None
    return replace(scan, mtime_ns=after.st_mtime_ns)


def _unchanged_since(path: Path, scan: FileScan) -> bool:
    """Whether the file is still as it was scanned (scans run ahead of the loading)."""
    try:
        now = path.stat()
    except OSError:
        return False
    return (now.st_size, now.st_mtime_ns) == (scan.size, scan.mtime_ns)


def _remove_stale_copies(warehouse: Path) -> None:
    """Temporary copies left by a load that was killed (we hold the warehouse lock now)."""
    for stale in warehouse.parent.glob(f"{TEMP_PREFIX}{warehouse.stem}-*"):
        stale.unlink(missing_ok=True)


def _files_to_read(
    files: list[Path], known: KnownFiles, min_age: float
) -> tuple[list[Path], list[Path]]:
    """(files to read, files waiting): those the manifest does not recognise, complete or not."""
    to_read, waiting = [], []
    now = time.time()
    for path in files:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue  # moved away while we looked
        if known.recognises(path, stat):
            continue  # loaded, skipped or rejected before, and unchanged since: not read again
        (to_read if is_settled(path, min_age, now) else waiting).append(path)
    return to_read, waiting


def _outcome(
    files_load: _EntityLoad, known: KnownFiles, path: Path, scan: FileScan | str
) -> FileLoad | None:
    """What a file that was read comes to; None when the manifest holds its path and content."""
    connection, entity_name, load_id = (
        files_load.connection,
        files_load.entity.name,
        files_load.load_id,
    )
    unreadable = scan if isinstance(scan, str) else None
    if unreadable is not None:  # no content to identify the file by
        scan = FileScan(0, "", False, b"", 0)
    if (str(path), scan.content_hash) in known.handled:
        if unreadable is None:  # touched, or recorded without a time: the same content
            known.remember_time(path, scan.content_hash, scan.size, scan.mtime_ns)
        return None
    known.handled.add((str(path), scan.content_hash))
    if unreadable is not None:
        load = FileLoad(entity_name, path, "", "rejected", reason=one_line(unreadable))
        log.warning("Rejected %s: %s", path, load.reason)
        _record(connection, load, load_id, 0, None, utc_now())
    elif scan.content_hash in known.loaded:
        first = known.loaded[scan.content_hash]
        reason = one_line(f"same content as {first}, already loaded")
        load = FileLoad(entity_name, path, scan.content_hash, "skipped", reason=reason)
        log.info("Skipped %s: %s", path, reason)
        _record(connection, load, load_id, scan.size, scan.mtime_ns, utc_now())
    else:
        load = files_load.file(path, scan)
        if load.status == "loaded":
            known.loaded[scan.content_hash] = str(path)
    return load


def load_entity(
    warehouse: Path,
    landing_dir: Path,
    entity_name: str,
    load_id: str | None = None,
    *,
    before_commit: Callable[[Path], None] | None = None,
    min_age_seconds: float | None = None,
) -> LoadResult:
    """Load the entity's new landing files; files whose content was seen before are skipped.

    Re-running on the same landing folder changes nothing and reads no file: a file whose path,
    size and modification time are in the manifest is passed over unread (`known_files`); a
    (path, content) pair already in the manifest is passed over silently; a known content under
    a new path is recorded once as skipped. New files are read (hashed) a few at a time in a
    thread pool while the previous one loads (`scanning`); the writes stay serial.

    Only complete files are taken (`discovery.is_settled`): a file modified less than
    `min_age_seconds` ago (default: `settings.landing_min_age_seconds()`) and without a `.done`
    marker, or one that changes while it is read, is left in `LoadResult.waiting` for a later
    load, and nothing is recorded for it.

    `before_commit`, when given, is called with the landing file's path inside that file's
    transaction, after its rows and manifest row are written and just before the commit (the crash
    tests kill the process there). An exception it raises rolls the file back and rejects it, like
    any failure of the file.
    """
    entity = ENTITIES[entity_name]
    result = LoadResult(entity_name, load_id or new_load_id())
    min_age = landing_min_age_seconds() if min_age_seconds is None else min_age_seconds
    with connect(warehouse) as connection:
        connection.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        ensure_load_tables(connection)
        _remove_stale_copies(warehouse)
        suppression = Suppression(warehouse.parent / PRIVACY_FOLDER)
        suppression.register(connection)
        files_load = _EntityLoad(
            connection,
            entity,
            result.load_id,
            Workdir(warehouse.parent, f"{TEMP_PREFIX}{warehouse.stem}-"),
            before_commit,
            suppression,
        )
        known = KnownFiles(connection, entity_name)
        files = sorted(
            [*landing_files(landing_dir, entity_name), *unsupported_files(landing_dir, entity_name)]
        )
        result.waiting += in_transfer_files(landing_dir, entity_name)
        to_read, unsettled = _files_to_read(files, known, min_age)
        reading, waiting = set(to_read), set(unsettled)
        with contextlib.closing(scanned_ahead(to_read, _scan)) as scans:
            for path in (p for p in files if p in reading or p in waiting):
                scan = next(scans) if path in reading else None
                if (
                    scan is not None
                    and not isinstance(scan, str)
                    and not _unchanged_since(path, scan)
                ):
                    scan = None  # changed since it was read ahead: a later load takes it
                if scan is None:
                    if path.exists():
                        result.waiting.append(path)
                        log.warning(
                            "Waiting for %s: still changing, or modified less than %gs ago and no"
                            " .done marker; a later load takes it",
                            path,
                            min_age,
                        )
                    continue
                load = _outcome(files_load, known, path, scan)
                if load is not None:
                    result.files.append(load)
        # Make sure a raw table exists even before the first file, so dbt sources resolve.
        ensure_raw_table(connection, entity, [])
    return result
