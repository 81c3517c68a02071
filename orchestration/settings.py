"""Where a run reads and writes: everything lives under FUNNEL_HOME (default `./data`)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# The dbt project sits at the repository root, next to this package.
PROJECT_DIR = Path(__file__).resolve().parent.parent

# A landing file is loaded once it has not been modified for this long (or has a `.done` marker):
# a file still being copied into landing is left for the next run. See docs/loading.md.
LANDING_MIN_AGE_ENV = "FUNNEL_LANDING_MIN_AGE_SECONDS"
DEFAULT_LANDING_MIN_AGE_SECONDS = 10.0


def landing_min_age_seconds() -> float:
    """The minimum age of a landing file before it is loaded: the environment's, else 10 s."""
    value = os.environ.get(LANDING_MIN_AGE_ENV, "").strip()
    if not value:
        return DEFAULT_LANDING_MIN_AGE_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also refuses nan
        raise ValueError(
            f"{LANDING_MIN_AGE_ENV}={value!r}: expected a number of seconds, 0 or more"
        )
    return seconds


@dataclass(frozen=True)
class FunnelPaths:
    """The files of one FUNNEL_HOME. Flags of the `funnel` command may override each path."""

    home: Path

    @classmethod
    def from_env(cls) -> FunnelPaths:
        return cls(Path(os.environ.get("FUNNEL_HOME", "data")).resolve())

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        return self.home / "serving.duckdb"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def parse_state(self) -> Path:
        """dbt's parse of the project for this home's warehouse (its path is part of the dbt
        profile, so a parse made for another home's is not reused): the next build re-parses
        only what changed."""
        return self.home / "dbt" / "partial_parse.msgpack"

    @property
    def tmp(self) -> Path:
        """Where DuckDB spills what does not fit in its memory limit; emptied after each run."""
        return self.home / "tmp"


# DuckDB's memory: every connection that builds or checks the warehouse (dbt's, the loader's, the
# quality checks') gets half of the machine's memory, or of the cgroup's limit when the process
# runs in one (a container), and at most 2.75 GiB. The rest is left to the Python processes (the
# run's, dbt's and the great-expectations worker's, about 1.1 GiB together at the large scale),
# the BI readers and the OS; past the limit DuckDB spills to FUNNEL_HOME/tmp instead of failing.
# The ceiling costs no speed at the large benchmark's scale (1 M contacts, 20 M events: with a
# 3 GiB ceiling a full run peaked at 3.9 GiB for the whole process tree, 4.1 GiB once the worker
# was added; with half of a 23 GiB machine it peaked at 13 GiB and was no faster), and a larger
# base spills instead of dying. Operators may set the limit themselves (DuckDB's syntax: `8GB`,
# `6GiB`, `50%` of the machine's memory).
MEMORY_LIMIT_ENV = "FUNNEL_DUCKDB_MEMORY_LIMIT"
DUCKDB_MEMORY_SHARE = 0.5
DUCKDB_MEMORY_CEILING = 11 << 28  # 2.75 GiB
_MEMORY_LIMIT_SYNTAX = re.compile(r"\s*\d+(\.\d+)?\s*(%|[KMGT]i?B|B)\s*", re.IGNORECASE)
# cgroup v1 writes a number near 2**63 when there is no limit.
_NO_CGROUP_LIMIT = 1 << 60
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")


def physical_memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _cgroup_limit_files(cgroup_root: Path, proc_self_cgroup: Path) -> list[Path]:
    """The memory limit files of this process's cgroup and its ancestors (v2 and v1)."""
    try:
        lines = proc_self_cgroup.read_text().splitlines()
    except OSError:
        return []
    files = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # v2: one unified hierarchy
            base, name = cgroup_root, "memory.max"
        elif "memory" in controllers.split(","):
            base, name = cgroup_root / "memory", "memory.limit_in_bytes"
        else:
            continue
        folder = base / path.strip("/")
        # a container sees its own cgroup as the root of the hierarchy: ancestors up to `base`
        ancestors = (folder, *folder.parents)
        files += [parent / name for parent in ancestors if parent.is_relative_to(base)]
    return files


def memory_available_bytes(
    cgroup_root: Path = CGROUP_ROOT, proc_self_cgroup: Path = PROC_SELF_CGROUP
) -> int:
    """The machine's memory, or the lowest cgroup limit that applies to this process."""
    available = physical_memory_bytes()
    for limit_file in _cgroup_limit_files(cgroup_root, proc_self_cgroup):
        try:
            value = limit_file.read_text().strip()
        except OSError:
            continue
        if value.isdigit() and int(value) < _NO_CGROUP_LIMIT:
            available = min(available, int(value))
    return available


def duckdb_memory_limit() -> str:
    """DuckDB's `memory_limit`: the operator's (FUNNEL_DUCKDB_MEMORY_LIMIT), else the share of
    the memory, within the ceiling."""
    value = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if not value:
        share = int(memory_available_bytes() * DUCKDB_MEMORY_SHARE)
        return f"{min(share, DUCKDB_MEMORY_CEILING) >> 20}MiB"
    if not _MEMORY_LIMIT_SYNTAX.fullmatch(value):
        raise ValueError(f"{MEMORY_LIMIT_ENV}={value!r}: expected a size such as 4GB, 6GiB or 50%")
    return value


def duckdb_config(paths: FunnelPaths) -> dict[str, str]:
    """The settings of a DuckDB connection doing heavy work on the warehouse (`duckdb.connect(...,
    config=...)`); dbt's profile reads the same values from the environment `funnel` exports."""
    return {"memory_limit": duckdb_memory_limit(), "temp_directory": str(paths.tmp)}


def export_duckdb_settings() -> None:
    """Fix the memory limit for this process and the dbt process it starts (profiles.yml)."""
    os.environ[MEMORY_LIMIT_ENV] = duckdb_memory_limit()
