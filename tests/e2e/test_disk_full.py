"""A full disk fails a run with a clear message and costs nothing: the publication stays whole,
and once space is freed the next run completes and loads the delivery once.

FUNNEL_HOME sits on a small tmpfs the test mounts (root only; skipped otherwise, with the reason).
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FUNNEL = str(Path(sys.executable).parent / "funnel")
EXIT_DISK_FULL = 74


def _funnel(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return subprocess.run([FUNNEL, *args], env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture
def small_disk(tmp_path: Path):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a size-limited tmpfs needs root")
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def _fill(disk: Path, leave_bytes: int) -> Path:
    ballast = disk / "ballast"
    free = shutil.disk_usage(disk).free
    with ballast.open("wb") as f:
        os.posix_fallocate(f.fileno(), 0, max(free - leave_bytes, 0))
    return ballast


def _new_events_file(home: Path) -> Path:
    """A next-day delivery: 2,000 events copied from the first file under new ids."""
    first = sorted((home / "landing" / "engagement_events").glob("*.csv"))[0]
    with first.open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    delivery = first.with_name("engagement_events-next-day.csv")
    with delivery.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(rows[0])
        for row in rows[1:2001]:
            writer.writerow([f"{row[0]}-{uuid.uuid4().hex[:8]}", *row[1:]])
    return delivery


def test_a_full_disk_fails_clearly_keeps_the_publication_and_the_next_run_completes(
    small_disk: Path,
) -> None:
    home = small_disk / "home"
    generated = _funnel(
        home, "generate", "--contacts", "100", "--seed", "4", "--quiet", "--end-date", "2026-06-30"
    )
    assert generated.returncode == 0, generated.stderr
    first = _funnel(home, "run", "--as-of", "2026-06-30")
    assert first.returncode == 0, first.stderr[-3000:]
    published = hashlib.sha256((home / "serving.duckdb").read_bytes()).hexdigest()
    delivery = _new_events_file(home)

    ballast = _fill(small_disk, leave_bytes=1 << 20)
    full = _funnel(home, "run", "--as-of", "2026-07-01")
    assert full.returncode == EXIT_DISK_FULL, full.stderr[-3000:]
    assert "is full" in full.stderr and "Free some space" in full.stderr
    assert "Traceback" not in full.stderr
    assert hashlib.sha256((home / "serving.duckdb").read_bytes()).hexdigest() == published

    ballast.unlink()
    again = _funnel(home, "run", "--as-of", "2026-07-01")
    assert again.returncode == 0, again.stderr[-3000:]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        loads = connection.execute(
            "select count(*) from raw._load_manifest where file_path = ? and status = 'loaded'",
            [str(delivery)],
        ).fetchone()[0]
    assert loads == 1
