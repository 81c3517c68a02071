"""A load killed midway (SIGKILL, no cleanup) leaves nothing half-written; the next run completes
it with nothing duplicated or lost."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from loading_builders import EVENT_HEADER, Landing, csv_text, event_row

from orchestration.loading import MANIFEST_TABLE, QUARANTINE_TABLE, load_entity

BIG_ROWS = 200_000
# Loads in a process of its own and waits to be killed inside the transaction of a chosen file.
CRASH_LOADER = Path(__file__).with_name("crash_loader.py")


def _big_file() -> str:
    rows = [event_row(i) for i in range(BIG_ROWS)]
    rows[10][2] = "not a date"  # one quarantined row, so the quarantine is written too
    return csv_text(EVENT_HEADER, rows)


def test_a_killed_load_is_completed_by_the_next_run(landing: Landing) -> None:
    landing.write("engagement_events", "a_small.csv", csv_text(EVENT_HEADER, [event_row(BIG_ROWS)]))
    landing.write("engagement_events", "b_big.csv", _big_file())
    marker = landing.warehouse.parent / "loading.paused"
    process = subprocess.Popen(
        [
            sys.executable,
            str(CRASH_LOADER),
            str(landing.warehouse),
            str(landing.dir),
            "engagement_events",
            "b_big.csv",
            str(marker),
        ]
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, "the load ended before reaching the pause"
            assert time.monotonic() < deadline, "the load never reached the pause"
            time.sleep(0.05)
        # Killed with its big file written but not committed, and a committed file before it.
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert landing.query(f"select file_name, status from {MANIFEST_TABLE}") == [
        ("a_small.csv", "loaded")
    ]
    assert landing.scalar("select count(*) from raw.engagement_events") == 1
    assert landing.scalar(f"select count(*) from {QUARANTINE_TABLE}") == 0

    result = load_entity(landing.warehouse, landing.dir, "engagement_events")
    [file] = result.files
    assert (file.path.name, file.status, file.rows_loaded, file.rows_quarantined) == (
        "b_big.csv",
        "loaded",
        BIG_ROWS - 1,
        1,
    )
    assert landing.scalar("select count(*) from raw.engagement_events") == BIG_ROWS
    assert landing.scalar("select count(distinct event_id) from raw.engagement_events") == BIG_ROWS
    assert landing.scalar(f"select count(*) from {QUARANTINE_TABLE}") == 1
    assert landing.query(f"select file_name, status from {MANIFEST_TABLE} order by file_name") == [
        ("a_small.csv", "loaded"),
        ("b_big.csv", "loaded"),
    ]
    assert not list(landing.warehouse.parent.glob(".loading-*")), "temporary copies remain"
