"""Load landing files into the `raw` schema of the working DuckDB warehouse.

Like a warehouse's COPY INTO with load history:
- every file seen is recorded in `raw._load_manifest` with its content hash, so a file is loaded at
  most once whatever its name, and a changed file under a known name loads as a new version;
- a file whose path, size and modification time are in the manifest is recognised without being
  read, so a load's cost grows with the new files, not with the landing folder;
- a file that cannot be read or lacks a required column is rejected whole, with a one-line reason,
  whatever its bytes (binary, compressed, truncated, overlong lines), and the load goes on;
- only complete files are loaded: a file modified within the minimum age and without a `.done`
  marker waits for a later load;
- a row that cannot be taken (broken quoting, wrong field count, invalid JSON, a value that does not
  parse to the contract's type, a missing required value) goes to `raw._quarantine` with its file,
  physical line and reason; for every file, rows read = rows loaded + rows quarantined;
- each file is loaded in one transaction together with its manifest row, so a crash midway leaves
  nothing of that file behind, and the next load takes it again.

CSV files are read by DuckDB (fast path). When DuckDB reports a structural problem, or when its
record count does not account for every physical line of the file (it skips blank lines silently),
the file is split into records by Python's csv module instead (exact path), which quarantines the
broken records with their line numbers and hands DuckDB a clean copy.

Raw tables keep the contract columns typed (timestamps in UTC), extra columns as text, and lineage
columns (`_load_id`, `_file_path`, `_line_number`, `_loaded_at`). Every version of a record is
kept; staging picks the latest. `docs/loading.md` explains all of this for analytics engineers.

The modules, in the order a file goes through them:
- `discovery`: which landing files there are (loadable, unsupported, unknown entries) and which
  are complete (a `.done` marker, or unmodified for the minimum age) or still waiting;
- `known_files`: the files the manifest recognises unread (path, size, modification time);
- `scanning`: new files read ahead in a thread pool while the previous one loads;
- `sniffing`: one pass over a file's bytes (hash, encoding, last line) and a CSV's dialect;
- `columns`: the header matched to the contract (missing required columns reject the file);
- `csv_records`: the exact CSV path, records split by Python's csv module, broken ones reported;
- `readers`: a file staged as text columns in DuckDB, per format (CSV, JSON Lines, Parquet);
- `casting`: text parsed to the contract types as it is staged, then into the raw table or the
  quarantine;
- `load`: `load_entity`, one transaction per file with its manifest row;
- `outcomes`: what loading a file came to (`FileLoad`, `LoadResult`, `FileRejected`);
- `reasons`: every reason on one short line; unexpected errors reject the file, infrastructure
  errors (disk full, lock) stop the load;
- `tables`: the warehouse connection, the manifest, the quarantine and the raw tables;
- `sql`: quoting identifiers and literals;
- `reconciliation`: files whose counts do not add up (`reconcile`);
- `forgetting`: `forget_file`, so the next load takes a file again.

The names below are the package's public API; the modules' other names serve the package and its
tests.
"""

from __future__ import annotations

from orchestration.loading.discovery import (
    landing_files,
    unknown_landing_entries,
    unsupported_files,
    waiting_files,
)
from orchestration.loading.forgetting import forget_file
from orchestration.loading.load import load_entity
from orchestration.loading.outcomes import FileLoad, FileRejected, LoadResult
from orchestration.loading.reconciliation import Mismatch, reconcile
from orchestration.loading.tables import (
    MANIFEST_TABLE,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    connect,
    table_exists,
)

__all__ = [
    "MANIFEST_TABLE",
    "QUARANTINE_TABLE",
    "RAW_SCHEMA",
    "FileLoad",
    "FileRejected",
    "LoadResult",
    "Mismatch",
    "connect",
    "forget_file",
    "landing_files",
    "load_entity",
    "reconcile",
    "table_exists",
    "unknown_landing_entries",
    "unsupported_files",
    "waiting_files",
]
