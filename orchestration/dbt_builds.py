"""When the dbt build must rebuild every incremental model, and the record that tells.

Most models are incremental (see `macros/incremental.sql` and the models' headers): a build reads
what changed since the warehouse's last build. What an incremental build cannot see calls for a
full refresh, which the pipeline decides before each build:
- no build of the project is recorded in the warehouse (a new warehouse, or one built by an
  earlier version);
- the dbt project changed since the last build (a model, macro, seed or var: rows already
  built were computed by other rules); a change to a data test, a unit test, an exposure or a
  description is not one (it checks or documents rows, it does not compute them);
- a delivery was forgotten since (`funnel forget` removed raw rows the models had read);
- a person was erased since (`funnel forget --email`: rows the models had read are gone);
- the last build ran on Spark (`funnel run --engine spark`, recorded with its fingerprint
  prefixed `spark:`): the warehouse's incremental models did not see its changes.
A failed build needs none: each incremental model catches up with every change since it last
succeeded. The record of each successful build is the table `main.dbt_builds` of the
warehouse, so a copied or restored warehouse carries its own.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import yaml

from orchestration.engines import SPARK
from orchestration.loading.tables import ERASURES_TABLE, FORGOTTEN_TABLE, connect, table_exists
from orchestration.settings import PROJECT_DIR

BUILDS_TABLE = "main.dbt_builds"

# What the models' rows are computed from: `tests/dbt` only checks them.
PROJECT_FILES = ("models", "macros", "seeds", "dbt_project.yml")


# libyaml's loader where PyYAML was built with it: parsing the properties files in Python took
# half a second of every build's start.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Properties of a YAML file that check or document rows without computing them.
NOT_COMPUTING_KEYS = frozenset(
    {"data_tests", "tests", "unit_tests", "exposures", "description", "docs"}
)


def _computing_part(value: object) -> object:
    """A parsed YAML value without its NOT_COMPUTING_KEYS, at any depth."""
    if isinstance(value, dict):
        return {
            key: _computing_part(item)
            for key, item in value.items()
            if key not in NOT_COMPUTING_KEYS
        }
    if isinstance(value, list):
        return [_computing_part(item) for item in value]
    return value


def _file_content(file: Path, project_dir: Path) -> bytes:
    """What a file contributes to the fingerprint: the computing part of a properties file
    under models/ (configs, contracts, columns), every byte of any other file."""
    if file.suffix in (".yml", ".yaml") and file.is_relative_to(project_dir / "models"):
        parsed = yaml.load(file.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        return json.dumps(_computing_part(parsed), sort_keys=True, default=str).encode()
    return file.read_bytes()


def project_fingerprint(project_dir: Path = PROJECT_DIR) -> str:
    """A hash of every file the models are computed from, by path and content: the models'
    SQL, macros, seeds and `dbt_project.yml` whole, the models' properties files without
    their tests and descriptions (`NOT_COMPUTING_KEYS`); docs (.md) left out."""
    digest = hashlib.sha256()
    for name in PROJECT_FILES:
        path = project_dir / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.suffix == ".md":
                continue
            digest.update(str(file.relative_to(project_dir)).encode() + b"\0")
            digest.update(_file_content(file, project_dir) + b"\0")
    return digest.hexdigest()


def full_refresh_reason(warehouse: Path, fingerprint: str) -> str | None:
    """Why the next build must rebuild every incremental model, or None when it need not."""
    if not warehouse.exists():
        return "a new warehouse"
    with connect(warehouse) as connection:
        if not table_exists(connection, BUILDS_TABLE):
            return "no earlier build is recorded in the warehouse"
        last = connection.execute(
            f"select started_at, project_fingerprint from {BUILDS_TABLE}"
            " order by started_at desc limit 1"
        ).fetchone()
        if last is None:
            return "no earlier build is recorded in the warehouse"
        started_at, built_fingerprint = last
        if built_fingerprint.startswith(f"{SPARK}:"):
            return "the last build ran on Spark: the warehouse's own models missed its changes"
        if built_fingerprint != fingerprint:
            return "the dbt project (models, macros, seeds or vars) changed since the last build"
        if table_exists(connection, FORGOTTEN_TABLE):
            [forgotten_at] = connection.execute(
                f"select max(forgotten_at) from {FORGOTTEN_TABLE}"
            ).fetchone()
            if forgotten_at is not None and forgotten_at >= started_at:
                return "a delivery was forgotten since the last build"
        if table_exists(connection, ERASURES_TABLE):
            [erased_at] = connection.execute(
                f"select max(erased_at) from {ERASURES_TABLE}"
            ).fetchone()
            if erased_at is not None and erased_at >= started_at:
                return "a person was erased since the last build"
    return None


def record_build(
    warehouse: Path,
    started_at: datetime,
    as_of: str | None,
    fingerprint: str,
    full_refresh_reason: str | None,
) -> None:
    """Record a successful build: the next one starts from it."""
    with connect(warehouse) as connection:
        connection.execute(
            f"""
            create table if not exists {BUILDS_TABLE} (
                started_at timestamp not null,
                as_of date,
                project_fingerprint varchar not null,
                full_refresh_reason varchar
            )
            """
        )
        connection.execute(
            f"insert into {BUILDS_TABLE} values (?, ?, ?, ?)",
            [started_at.replace(tzinfo=None), as_of, fingerprint, full_refresh_reason],
        )
