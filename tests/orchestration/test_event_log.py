"""The event log `funnel` configures: Dagster's SQLite files, written without a connection opened
(and synced) per event, and read back by any other Dagster process as before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from orchestration.cli import write_dagster_config

CHECKS = 40


@dg.asset(check_specs=[dg.AssetCheckSpec(f"check_{i}", asset="numbers") for i in range(CHECKS)])
def numbers():
    yield dg.Output(list(range(10)))
    for i in range(CHECKS):
        yield dg.AssetCheckResult(check_name=f"check_{i}", passed=True)


def _run_job(dagster_home: Path) -> tuple[str, int]:
    """Materialise `numbers` with its checks on the instance of `dagster_home`; the run id and the
    connections opened to the event log's SQLite files while it ran."""
    opened = 0

    def count(dbapi_connection, _record) -> None:
        nonlocal opened
        if type(dbapi_connection).__module__ != "sqlite3":
            return
        [(_, _, path)] = dbapi_connection.execute("pragma database_list").fetchall()
        opened += Path(path).parent == dagster_home / "history" / "runs"  # the event log's files

    event.listen(Engine, "connect", count)
    try:
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            result = dg.materialize([numbers], instance=instance)
    finally:
        event.remove(Engine, "connect", count)
    assert result.success
    return result.run_id, opened


def _read_back(dagster_home: Path, run_id: str) -> str:
    """What another process (the UI, a later run) reads of the run in this DAGSTER_HOME."""
    script = (
        "import sys, dagster as dg\n"
        "with dg.DagsterInstance.from_config(sys.argv[1]) as instance:\n"
        "    records = instance.all_logs(sys.argv[2])\n"
        "    checks = [r for r in records if r.dagster_event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]\n"  # noqa: E501
        "    key = dg.AssetCheckKey(dg.AssetKey('numbers'), 'check_7')\n"
        "    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])\n"
        "    print(len(checks), latest[key].status.value)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(dagster_home), run_id],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    write_dagster_config(home)
    return home


def test_a_run_opens_a_few_connections_not_one_per_event(dagster_home: Path) -> None:
    run_id, opened = _run_job(dagster_home)
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        events = len(instance.all_logs(run_id))
    assert events > 2 * CHECKS
    # Dagster's own SQLite event log opens one to three connections per event.
    assert opened < 10, f"{opened} connections to the event log for {events} events"


def test_another_process_reads_every_event_and_the_latest_check_state(dagster_home: Path) -> None:
    run_id, _ = _run_job(dagster_home)
    assert _read_back(dagster_home, run_id) == f"{CHECKS} SUCCEEDED"


def test_a_config_written_by_an_earlier_funnel_or_elsewhere_is_replaced_an_edited_one_kept(
    tmp_path: Path,
) -> None:
    from orchestration.cli import EARLIER_DAGSTER_CONFIGS, dagster_config

    earlier, moved, edited = tmp_path / "earlier", tmp_path / "moved", tmp_path / "edited"
    for home, text in (
        (earlier, EARLIER_DAGSTER_CONFIGS[0]),
        (moved, dagster_config(tmp_path / "before the move")),
        (edited, "telemetry: {}\n"),
    ):
        home.mkdir()
        (home / "dagster.yaml").write_text(text)
        write_dagster_config(home)
    assert (earlier / "dagster.yaml").read_text() == dagster_config(earlier)
    assert (moved / "dagster.yaml").read_text() == dagster_config(moved)
    assert str(moved / "history" / "runs") in dagster_config(moved)
    assert (edited / "dagster.yaml").read_text() == "telemetry: {}\n"
