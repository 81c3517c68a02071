"""The Dagster code location loads, and its graph is what the snapshot says.

A change to the asset graph (a new model, a renamed check, a new schedule) changes the snapshot,
so it shows in review. Refresh it with `UPDATE_SNAPSHOTS=1 pytest tests/orchestration`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def _graph_snapshot() -> dict:
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
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
        "jobs": sorted(job.name for job in defs.resolve_all_job_defs()),
        "schedules": sorted(
            f"{s.name} {s.cron_schedule} {s.execution_timezone}"
            for s in defs.get_repository_def().schedule_defs
        ),
        "sensors": sorted(s.name for s in defs.get_repository_def().sensor_defs),
    }


def test_definitions_match_the_snapshot() -> None:
    snapshot = _graph_snapshot()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(snapshot, indent=2) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert snapshot == expected, "the Dagster graph changed: review it, then UPDATE_SNAPSHOTS=1"


def test_every_dbt_source_is_fed_by_its_raw_load_asset() -> None:
    from orchestration.contract import ENTITIES

    snapshot = _graph_snapshot()
    for entity in ENTITIES:
        staging = snapshot["assets"][f"staging/stg_landing__{entity}"]
        assert f"raw/{entity}" in staging["deps"]
        assert snapshot["assets"][f"raw/{entity}"]["group"] == "raw"


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [(None, {"as_of": None}), ("2025-06-30", {"as_of": "2025-06-30"})],
)
def test_build_args_pass_as_of_to_dbt(as_of, expected) -> None:
    from orchestration.dbt_assets import build_args

    args = build_args(as_of)
    assert args[0] == "build"
    assert json.loads(args[args.index("--vars") + 1]) == expected


def test_build_args_refuse_a_day_that_is_not_one() -> None:
    from orchestration.dbt_assets import build_args

    with pytest.raises(ValueError):
        build_args("2025-02-30")


def test_schedule_computes_the_funnel_as_of_the_previous_day() -> None:
    from datetime import UTC, datetime

    from dagster import build_schedule_context

    from orchestration.schedules import DBT_OP_NAME, daily_funnel_schedule

    context = build_schedule_context(scheduled_execution_time=datetime(2026, 3, 1, 6, tzinfo=UTC))
    request = daily_funnel_schedule(context)
    assert request.run_config["ops"][DBT_OP_NAME]["config"]["as_of"] == "2026-02-28"


def test_sensor_requests_a_run_only_when_landing_files_change(funnel_home: Path) -> None:
    from dagster import RunRequest, SkipReason, build_sensor_context

    from orchestration.schedules import landing_files_sensor

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
