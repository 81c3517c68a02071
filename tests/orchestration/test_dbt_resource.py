"""The dbt resource of the pipeline: dagster-dbt's, minus what the funnel does not use."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from orchestration.dbt_project import BUILD_FLAGS, dbt_executable, dbt_resource
from orchestration.settings import PROJECT_DIR


def test_the_version_it_knows_is_the_version_dbt_reports() -> None:
    reported = subprocess.run(
        [dbt_executable(), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert str(dbt_resource()._cli_version) == re.search(r"(\d+\.\d+\.\d+)", reported).group(1)


def test_it_loads_no_dbt_adapter_in_the_pipeline_process() -> None:
    assert dbt_resource()._initialize_dbt_core_adapter(["build"]) is None


def test_the_build_parse_state_is_kept_for_the_home_and_the_project(tmp_path: Path) -> None:
    from orchestration.dbt_invocations import PARTIAL_PARSE_FILE, keep_parse_state

    target, home_state = tmp_path / "target", tmp_path / "home" / "dbt" / PARTIAL_PARSE_FILE
    invocation = target / "funnel_dbt_assets-1"
    invocation.mkdir(parents=True)
    keep_parse_state(invocation, home_state, target)  # failed before parsing: nothing to keep
    assert not home_state.exists() and not (target / PARTIAL_PARSE_FILE).exists()
    (invocation / PARTIAL_PARSE_FILE).write_bytes(b"state of the build")
    keep_parse_state(invocation, home_state, target)
    assert home_state.read_bytes() == (target / PARTIAL_PARSE_FILE).read_bytes()
    assert home_state.read_bytes() == b"state of the build"
    assert sorted(p.name for p in target.iterdir()) == ["funnel_dbt_assets-1", PARTIAL_PARSE_FILE]
    assert [p.name for p in home_state.parent.iterdir()] == [PARTIAL_PARSE_FILE]


def test_a_build_starts_from_its_home_s_parse_state_when_it_has_one(tmp_path: Path) -> None:
    """dagster-dbt copies the project's parse state into a build's target folder only when the
    folder holds none: a home's own state must be there first (the project's may be another
    home's, which dbt rejects because the warehouse path is part of the profile)."""
    from orchestration.dbt_invocations import PARTIAL_PARSE_FILE, invocation_target

    home_state = tmp_path / "dbt" / PARTIAL_PARSE_FILE
    folders = [invocation_target("funnel_dbt_assets", home_state)]
    try:
        assert not any(folders[0].iterdir())  # a new home: left to dagster-dbt's copy
        home_state.parent.mkdir()
        home_state.write_bytes(b"this home's parse")
        folders.append(invocation_target("funnel_dbt_assets", home_state))
        assert folders[1] != folders[0]
        assert folders[1].parent == folders[0].parent == PROJECT_DIR / "target"
        assert (folders[1] / PARTIAL_PARSE_FILE).read_bytes() == b"this home's parse"
    finally:
        for folder in folders:
            shutil.rmtree(folder)


def test_folders_left_by_killed_builds_are_removed_once_a_day_old(tmp_path: Path) -> None:
    from orchestration.dbt_invocations import STALE_INVOCATION_AGE, remove_stale_invocations

    left, running, other = (tmp_path / n for n in ("build-old", "build-new", "other-old"))
    for folder in (left, running, other):
        (folder / "run").mkdir(parents=True)
    old = time.time() - STALE_INVOCATION_AGE.total_seconds() - 60
    for folder in (left, other):
        os.utime(folder, (old, old))
    remove_stale_invocations("build", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build-new", "other-old"]


def test_the_target_folder_is_the_project_s_whatever_the_working_directory() -> None:
    from orchestration.dbt_invocations import keep_parse_state
    from orchestration.dbt_project import dbt_project
    from orchestration.settings import PROJECT_DIR

    assert dbt_project.target_path == PROJECT_DIR / "target"
    assert dbt_project.manifest_path == PROJECT_DIR / "target" / "manifest.json"
    # where the build's parse state is kept for a new home, and where dagster-dbt looks for it
    # (relative to the project, as DBT_TARGET_PATH is not set in the pipeline's process)
    assert keep_parse_state.__defaults__ == (PROJECT_DIR / "target",)


def test_a_build_of_an_unchanged_project_leaves_out_the_seeds_and_only_their_own_tests(
    tmp_path: Path,
) -> None:
    """A build that needs no full refresh skips the seeds and the tests reading seeds alone,
    and keeps every test reading a model, a seed beside it or not (a relationship to a seed)."""
    from orchestration.defs.dbt_assets import UNCHANGED_SEEDS_LEFT_OUT

    listed = subprocess.run(
        [
            *(dbt_executable(), "ls", "--exclude-resource-type", "unit_test"),
            *UNCHANGED_SEEDS_LEFT_OUT,
            *("--output", "json", "--output-keys", "unique_id", "--quiet"),
            *("--profiles-dir", str(PROJECT_DIR), "--target-path", str(tmp_path / "target")),
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, "FUNNEL_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    selected = {json.loads(line)["unique_id"] for line in listed.stdout.splitlines()}
    nodes = json.loads((tmp_path / "target" / "manifest.json").read_text())["nodes"]
    seeds = {node for node in nodes if node.startswith("seed.")}
    tests = {n: set(nodes[n]["depends_on"]["nodes"]) for n in nodes if n.startswith("test.")}
    on_seeds_alone = {test for test, parents in tests.items() if parents <= seeds}
    on_a_model_and_a_seed = {
        test for test, parents in tests.items() if parents & seeds
    } - on_seeds_alone
    assert seeds and on_seeds_alone and on_a_model_and_a_seed
    assert not selected & (seeds | on_seeds_alone)
    assert set(tests) - on_seeds_alone <= selected
    assert {n for n in nodes if n.startswith("model.")} <= selected


@pytest.mark.slow
def test_a_new_as_of_day_keeps_the_parse_and_reaches_the_compiled_sql(tmp_path: Path) -> None:
    """`funnel run` passes the day in FUNNEL_AS_OF: dbt must not parse the project again for a
    new day (a `--vars` value would), and the compiled SQL must read the day. The pipeline's
    flags leave no JSON artifact and no log file. Given both, the `as_of` var wins."""

    def dbt(command: str, day: str, *args: str, flags: tuple[str, ...] = ()) -> str:
        ran = subprocess.run(
            [
                *(dbt_executable(), *flags, "--log-format", "json", "--log-level", "debug"),
                *(command, *args),
                *("--profiles-dir", str(PROJECT_DIR), "--target-path", str(tmp_path / "target")),
                *("--log-path", str(tmp_path / "logs")),
            ],
            cwd=PROJECT_DIR,
            env={**os.environ, "FUNNEL_HOME": str(tmp_path), "FUNNEL_AS_OF": day},
            capture_output=True,
            text=True,
        )
        assert ran.returncode == 0, ran.stdout[-3000:]
        return ran.stdout

    def events(log: str) -> set[str]:
        return {json.loads(line)["info"]["name"] for line in log.splitlines() if line}

    dbt("parse", "2026-06-30")
    # nothing to parse again: neither the whole project (a changed `--vars`) nor the files that
    # read an environment variable that changed
    assert "PartialParsingSkipParsing" in events(dbt("parse", "2026-07-01"))
    assert (tmp_path / "logs" / "dbt.log").exists()  # without the pipeline's flags
    shutil.rmtree(tmp_path / "logs")
    (tmp_path / "target" / "manifest.json").unlink()
    # compiled as the pipeline builds: no JSON artifact and no log file beside what it builds
    dbt("compile", "2026-07-02", "--select", "int_contacts_as_of", flags=tuple(BUILD_FLAGS))
    compiled = next((tmp_path / "target" / "compiled").rglob("int_contacts_as_of.sql"))
    assert "cast('2026-07-02' as date)" in compiled.read_text()
    assert not (tmp_path / "target" / "manifest.json").exists()
    assert not any((tmp_path / "logs").iterdir())
    # the `as_of` var, when given, wins, and brings the same SQL as the environment variable
    by_environment = compiled.read_text()
    dbt("compile", "2026-07-02", "--select", "int_contacts_as_of", "--vars", "{as_of: 2026-07-03}")
    assert compiled.read_text() == by_environment.replace("2026-07-02", "2026-07-03")
