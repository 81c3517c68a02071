"""The Dagster code location loads, and its graph is what the snapshot says.

A change to the asset graph (a new model, a renamed check, a new schedule) changes the snapshot,
so it shows in review. Refresh it with `UPDATE_SNAPSHOTS=1 pytest tests/orchestration`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.settings import PROJECT_DIR

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"

# Imports every module of the package in a fresh interpreter, with an audit hook that records any
# process started and any dbt manifest opened, and prints them. Dagster and dagster-dbt are
# imported before the hook: their own import-time work (dagster runs `file` on the interpreter to
# learn its word size) is not the code location's.
IMPORT_EVERY_MODULE = """
import importlib, pkgutil, sys

import dagster, dagster_dbt

seen = []

def audit(event, args):
    if event in {"subprocess.Popen", "os.system", "os.posix_spawn", "os.exec", "os.fork"}:
        seen.append(f"{event} {args[:2]!r}")
    elif event == "open" and str(args[0]).endswith("manifest.json"):
        seen.append(f"open {args[0]}")

sys.addaudithook(audit)
import orchestration

for module in pkgutil.walk_packages(orchestration.__path__, "orchestration."):
    importlib.import_module(module.name)
print("\\n".join(seen))
"""


def _graph_snapshot() -> dict:
    from orchestration.defs.definitions import defs

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
        }
    return {
        "assets": assets,
        "checks": sorted(
            f"{check.asset_key.to_user_string()}:{check.name}" for check in graph.asset_check_keys
        ),
        "jobs": sorted(job.name for job in definitions.resolve_all_job_defs()),
        "schedules": sorted(
            f"{s.name} {s.cron_schedule} {s.execution_timezone}"
            for s in definitions.get_repository_def().schedule_defs
        ),
        "sensors": sorted(s.name for s in definitions.get_repository_def().sensor_defs),
    }


def test_definitions_match_the_snapshot() -> None:
    snapshot = _graph_snapshot()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(snapshot, indent=2) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert snapshot == expected, "the Dagster graph changed: review it, then UPDATE_SNAPSHOTS=1"


def test_importing_the_code_location_parses_nothing() -> None:
    """The definitions are built when Dagster (or `funnel run`) calls `defs`: importing any module,
    the code location's included, starts no `dbt parse` and reads no manifest."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_MODULE],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "", f"work done at import:\n{result.stdout}"


def test_every_dbt_source_is_fed_by_its_raw_load_asset() -> None:
    from orchestration.contract import ENTITIES

    snapshot = _graph_snapshot()
    for entity in ENTITIES:
        staging = snapshot["assets"][f"staging/stg_landing__{entity}"]
        assert f"raw/{entity}" in staging["deps"]
        assert snapshot["assets"][f"raw/{entity}"]["group"] == "raw"


@pytest.mark.parametrize(("as_of", "seen"), [(None, ""), ("2025-06-30", "2025-06-30")])
@pytest.mark.parametrize("before", [None, "2020-01-01"])
def test_the_as_of_day_reaches_dbt_in_its_environment_and_only_there(
    monkeypatch: pytest.MonkeyPatch, as_of: str | None, seen: str, before: str | None
) -> None:
    from orchestration.defs.dbt_assets import AS_OF_VARIABLE, as_of_environment

    if before is None:
        monkeypatch.delenv(AS_OF_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(AS_OF_VARIABLE, before)
    with as_of_environment(as_of):
        assert os.environ[AS_OF_VARIABLE] == seen  # what dagster-dbt copies into dbt's process
    assert os.environ.get(AS_OF_VARIABLE) == before


def test_build_args_rebuild_every_incremental_model_only_when_asked() -> None:
    from orchestration.defs.dbt_assets import build_args
    from orchestration.defs.schedules import DBT_OP_NAME, run_config_as_of

    assert build_args()[0] == "build"
    assert "--full-refresh" not in build_args()
    assert build_args(full_refresh=True)[-1] == "--full-refresh"
    # seeds are left out only when nothing changed and dbt picks the tests by indirect selection
    assert "resource_type:seed" in build_args()
    assert "resource_type:seed" not in build_args(full_refresh=True)
    assert "resource_type:seed" not in build_args(whole_project=False)
    config = run_config_as_of("2025-06-30", full_refresh=True)["ops"][DBT_OP_NAME]["config"]
    assert config == {"as_of": "2025-06-30", "full_refresh": True}


def test_a_day_that_is_not_one_is_refused_before_dbt_starts() -> None:
    from orchestration.defs.dbt_assets import as_of_environment

    with pytest.raises(ValueError), as_of_environment("2025-02-30"):
        pass


def test_schedule_computes_the_funnel_as_of_the_previous_day() -> None:
    from datetime import UTC, datetime

    from dagster import build_schedule_context

    from orchestration.defs.schedules import DBT_OP_NAME, daily_funnel_schedule

    context = build_schedule_context(scheduled_execution_time=datetime(2026, 3, 1, 6, tzinfo=UTC))
    request = daily_funnel_schedule(context)
    assert request.run_config["ops"][DBT_OP_NAME]["config"]["as_of"] == "2026-02-28"


@pytest.mark.parametrize(
    ("automation", "status"), [(None, "RUNNING"), ("running", "RUNNING"), ("stopped", "STOPPED")]
)
def test_the_schedule_and_the_sensor_run_unless_the_ui_is_started_stopped(
    automation: str | None, status: str
) -> None:
    """`funnel ui` sets FUNNEL_AUTOMATION for the code location it starts (`--stopped`)."""
    env = {k: v for k, v in os.environ.items() if k != "FUNNEL_AUTOMATION"}
    if automation is not None:
        env["FUNNEL_AUTOMATION"] = automation
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "from orchestration.defs.schedules import daily_funnel_schedule, landing_files_sensor\n"
            "print(daily_funnel_schedule.default_status.value,"
            " landing_files_sensor.default_status.value)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == [status, status]


def test_sensor_requests_a_run_only_when_landing_files_change(funnel_home: Path) -> None:
    from dagster import RunRequest, SkipReason, build_sensor_context

    from orchestration.defs.schedules import landing_files_sensor

    assert isinstance(landing_files_sensor(build_sensor_context()), SkipReason)

    folder = funnel_home / "landing" / "contacts"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("contact_id,email\nc1,a@b.fr\n")
    first = landing_files_sensor(build_sensor_context())
    assert isinstance(first, RunRequest)

    same = landing_files_sensor(build_sensor_context(cursor=first.run_key))
    assert isinstance(same, SkipReason)

    (folder / "b.csv").write_text("contact_id,email\nc2,c@d.fr\n")
    assert isinstance(landing_files_sensor(build_sensor_context(cursor=first.run_key)), RunRequest)


def test_a_manifest_older_than_a_model_is_parsed_again(tmp_path: Path) -> None:
    from orchestration.dbt_project import manifest_is_stale

    manifest = tmp_path / "target" / "manifest.json"
    model = tmp_path / "models" / "marts" / "dim_things.sql"
    model.parent.mkdir(parents=True)
    model.write_text("select 1 as thing_id")
    assert manifest_is_stale(manifest, tmp_path), "no manifest yet"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(model, (1_000_000_000, 1_000_000_000))
    assert not manifest_is_stale(manifest, tmp_path)
    os.utime(model, None)  # edited now, after the parse
    os.utime(manifest, (1_000_000_000 + 10, 1_000_000_000 + 10))
    assert manifest_is_stale(manifest, tmp_path)
