"""Crash safety of the whole run: `funnel run` killed (SIGKILL, the whole process group, as a
machine losing power or the OOM killer would) at random moments — loading, building, checking,
publishing — leaves the published `serving.duckdb` a complete earlier publication a reader can
open, and the next run completes with every delivery loaded once.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FUNNEL = str(Path(sys.executable).parent / "funnel")
# How many kills; 8 by default, more for a longer soak (FUNNEL_CRASH_KILLS=100).
KILLS = int(os.environ.get("FUNNEL_CRASH_KILLS", "8"))
AS_OF = "2026-06-30"


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}


def _run(home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [FUNNEL, "run", "--as-of", AS_OF],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=900,
    )


def _deliver(home: Path, number: int) -> Path:
    """A new small events delivery (under fresh ids), so that kills also land in loads."""
    first = sorted((home / "landing" / "engagement_events").glob("*.csv"))[0]
    with first.open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    delivery = first.with_name(f"engagement_events-delivery-{number:03d}.csv")
    with delivery.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(rows[0])
        for row in rows[1:301]:
            writer.writerow([f"{row[0]}-{uuid.uuid4().hex[:8]}", *row[1:]])
    return delivery


def _publication_is_whole(serving: Path) -> None:
    """Every table the publication lists is there, with the row count it recorded."""
    with duckdb.connect(str(serving), read_only=True) as connection:
        listed = connection.execute(
            "select table_name, row_count from main.published_tables"
        ).fetchall()
        assert listed, "the publication lists no table"
        for table, rows in listed:
            assert connection.execute(f'select count(*) from marts."{table}"').fetchone()[0] == rows


def _prepared_home(root: Path, seed: int) -> tuple[Path, Path, float]:
    """A home with a tiny generated base, run once (so it has a publication), then run again
    with a new delivery, as each killed run is (incremental, dbt's parse kept: faster than the
    first): the home, that delivery and how long the second run took."""
    home = root / f"home-{seed}"
    generated = subprocess.run(
        [
            FUNNEL,
            "generate",
            "--contacts",
            "100",
            "--seed",
            str(seed),
            "--quiet",
            "--end-date",
            AS_OF,
        ],
        env=_env(home),
        capture_output=True,
        text=True,
    )
    assert generated.returncode == 0, generated.stderr
    first = _run(home)
    assert first.returncode == 0, first.stderr[-3000:]
    delivery = _deliver(home, 0)
    started = time.monotonic()
    second = _run(home)
    assert second.returncode == 0, second.stderr[-3000:]
    return home, delivery, time.monotonic() - started


def _kill_series(home: Path, moments: list[float], deliveries: list[Path]) -> None:
    """Start `funnel run` and kill it at each moment, checking the publication after each kill."""
    for moment in moments:
        deliveries.append(_deliver(home, len(deliveries)))
        run = subprocess.Popen(
            [FUNNEL, "run", "--as-of", AS_OF],
            env=_env(home),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(moment)
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        _publication_is_whole(home / "serving.duckdb")


def test_a_run_killed_at_any_moment_leaves_a_whole_publication_and_the_next_run_completes(
    tmp_path: Path,
) -> None:
    home, delivery, duration = _prepared_home(tmp_path, 9)
    # stratified over the whole run (load, build, checks, publication), in a seeded random order
    draw = random.Random(20261201)
    moments = [(i + draw.random()) / KILLS * duration for i in range(KILLS)]
    draw.shuffle(moments)
    deliveries = [delivery]
    _kill_series(home, moments, deliveries)

    last = _run(home)
    assert last.returncode == 0, last.stderr[-3000:]
    _publication_is_whole(home / "serving.duckdb")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        loaded = dict(
            connection.execute(
                "select file_path, count(*) from raw._load_manifest where status = 'loaded'"
                " group by file_path"
            ).fetchall()
        )
    assert all(loaded.get(str(d)) == 1 for d in deliveries), loaded
