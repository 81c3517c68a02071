"""Loading an entity: its new landing files, one transaction per file with its manifest row.

A file whose content was loaded before is skipped; a file that cannot be read is rejected whole
with its reason; a crash midway through a file leaves nothing of it behind.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.contract import ENTITIES, Entity
from orchestration.loading.casting import insert_staged
from orchestration.loading.columns import map_columns
from orchestration.loading.discovery import FILE_SUFFIXES, landing_files, unsupported_files
from orchestration.loading.outcomes import FileLoad, FileRejected, LoadResult
from orchestration.loading.readers import (
    Workdir,
    create_broken_table,
    stage_csv,
    stage_json_lines,
    stage_parquet,
)
from orchestration.loading.sniffing import FileScan, scan_file
from orchestration.loading.tables import (
    MANIFEST_TABLE,
    connect,
    ensure_load_tables,
    ensure_raw_table,
    utc_now,
)

log = logging.getLogger(__name__)

TEMP_PREFIX = ".loading-"


def new_load_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _load_file(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    scan: FileScan,
    load_id: str,
    workdir: Workdir,
) -> FileLoad:
    """Load one file inside the caller's transaction; raises FileRejected to reject it whole."""
    if scan.size == 0:
        raise FileRejected("empty file: no header and no rows")
    fmt = FILE_SUFFIXES[path.suffix.lower()]
    create_broken_table(connection)
    if fmt == "csv":
        staged = stage_csv(connection, path, entity, scan, workdir)
    elif fmt == "json":
        staged = stage_json_lines(connection, path, scan, workdir)
    else:
        staged = stage_parquet(connection, path)
    columns = map_columns(entity, staged.names)
    loaded, quarantined = insert_staged(connection, entity, staged, columns, load_id, path)
    if loaded + quarantined != staged.rows_read:
        raise RuntimeError(
            f"{path}: {staged.rows_read} rows read but {loaded} loaded and {quarantined}"
            " quarantined; the load was rolled back. This is a loader bug: please report it"
        )
    return FileLoad(
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


def _record(
    connection: duckdb.DuckDBPyConnection,
    load: FileLoad,
    load_id: str,
    size: int,
    started_at: datetime,
) -> None:
    values = {
        "load_id": load_id,
        "entity": load.entity,
        "file_path": str(load.path),
        "file_name": load.path.name,
        "file_size": size,
        "content_hash": load.content_hash,
        "status": load.status,
        "reason": load.reason,
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


def _load_one(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    scan: FileScan,
    load_id: str,
    workdir: Workdir,
    before_commit: Callable[[Path], None] | None,
) -> FileLoad:
    """One file, one transaction with its manifest row; a rejected file records only its reason."""
    started_at = utc_now()
    fmt = FILE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        load = FileLoad(
            entity.name,
            path,
            scan.content_hash,
            "rejected",
            reason=f"unsupported file type {path.suffix or '(none)'!r}: export it as CSV,"
            " Parquet or JSON Lines (.csv, .parquet, .jsonl)",
        )
    else:
        connection.execute("begin transaction")
        try:
            load = _load_file(connection, entity, path, scan, load_id, workdir)
            _record(connection, load, load_id, scan.size, started_at)
            if before_commit is not None:
                before_commit(path)
            connection.execute("commit")
        except (FileRejected, duckdb.Error, OSError, UnicodeError) as error:
            connection.execute("rollback")
            reason = str(error) if isinstance(error, FileRejected) else f"unreadable: {error}"
            load = FileLoad(entity.name, path, scan.content_hash, "rejected", reason=reason)
            load.file_format = fmt
        except BaseException:
            connection.execute("rollback")
            raise
        finally:
            workdir.clean()
    if load.status == "rejected":
        log.warning("Rejected %s: %s", path, load.reason)
        _record(connection, load, load_id, scan.size, started_at)
    return load


def _remove_stale_copies(warehouse: Path) -> None:
    """Temporary copies left by a load that was killed (we hold the warehouse lock now)."""
    for stale in warehouse.parent.glob(f"{TEMP_PREFIX}{warehouse.stem}-*"):
        stale.unlink(missing_ok=True)


def load_entity(
    warehouse: Path,
    landing_dir: Path,
    entity_name: str,
    load_id: str | None = None,
    *,
    before_commit: Callable[[Path], None] | None = None,
) -> LoadResult:
    """Load the entity's new landing files; files whose content was seen before are skipped.

    Re-running on the same landing folder changes nothing: a (path, content) pair already in the
    manifest is passed over silently; a known content under a new path is recorded once as skipped.

    `before_commit`, when given, is called with the landing file's path inside that file's
    transaction, after its rows and manifest row are written and just before the commit (the crash
    tests kill the process there). An exception it raises rolls the file back, like any failure
    of the file.
    """
    entity = ENTITIES[entity_name]
    result = LoadResult(entity_name, load_id or new_load_id())
    with connect(warehouse) as connection:
        ensure_load_tables(connection)
        _remove_stale_copies(warehouse)
        workdir = Workdir(warehouse.parent, f"{TEMP_PREFIX}{warehouse.stem}-")
        handled = {
            (path, digest)
            for path, digest in connection.execute(
                f"select file_path, content_hash from {MANIFEST_TABLE} where entity = ?",
                [entity_name],
            ).fetchall()
        }
        loaded = dict(
            connection.execute(
                f"select content_hash, min(file_path) from {MANIFEST_TABLE}"
                " where entity = ? and status = 'loaded' group by content_hash",
                [entity_name],
            ).fetchall()
        )
        files = sorted(
            [*landing_files(landing_dir, entity_name), *unsupported_files(landing_dir, entity_name)]
        )
        for path in files:
            scan = scan_file(path)
            if (str(path), scan.content_hash) in handled:
                continue
            handled.add((str(path), scan.content_hash))
            if scan.content_hash in loaded:
                reason = f"same content as {loaded[scan.content_hash]}, already loaded"
                load = FileLoad(entity_name, path, scan.content_hash, "skipped", reason=reason)
                log.info("Skipped %s: %s", path, reason)
                _record(connection, load, result.load_id, scan.size, utc_now())
            else:
                load = _load_one(
                    connection, entity, path, scan, result.load_id, workdir, before_commit
                )
                if load.status == "loaded":
                    loaded[scan.content_hash] = str(path)
            result.files.append(load)
        # Make sure a raw table exists even before the first file, so dbt sources resolve.
        ensure_raw_table(connection, entity, [])
    return result
