"""What the privacy tests share: the `funnel` command on a home, a read of its warehouse, a scan
of every byte of its files for a person's identifiers, rows appended to a landing CSV."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path
from urllib.parse import quote, quote_plus

import duckdb
from pipeline_run import FUNNEL


def funnel(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    result = subprocess.run([FUNNEL, *args], env=env, capture_output=True, text=True, timeout=900)
    if check:
        assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-3000:])
    return result


def query(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def forms(identifier: str) -> set[bytes]:
    text = identifier.lower()
    variants = {text, quote(text, safe=""), quote_plus(text, safe=""), quote(text)}
    found = set()
    for variant in variants:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            found.add(variant.encode(encoding))
    return found


def files_holding(home: Path, identifiers: list[str], *, skip: Path | None = None) -> dict:
    """Every file under `home` whose bytes (lower-cased) hold an identifier, and which."""
    needles = {f: i for i in identifiers for f in forms(i)}
    found: dict[str, set[str]] = {}
    for path in home.rglob("*"):
        if not path.is_file() or (skip and skip in path.parents):
            continue
        data = path.read_bytes().lower()
        for needle, identifier in needles.items():
            if needle in data:
                found.setdefault(str(path.relative_to(home)), set()).add(identifier)
    return found


def append_rows(path: Path, rows: list[dict]) -> None:
    with path.open(newline="", encoding="utf-8") as stream:
        header = next(csv.reader(stream))
    with path.open("a", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=header, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerows(rows)
