"""The `funnel` command as a user meets it: help, clear errors, and the UI on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb

FUNNEL = str(Path(sys.executable).parent / "funnel")


def _funnel(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return subprocess.run([FUNNEL, *args], env=env, capture_output=True, text=True, timeout=300)


def test_help_lists_the_subcommands(tmp_path: Path) -> None:
    result = _funnel("--help", home=tmp_path)
    assert result.returncode == 0
    for command in ("generate", "run", "load", "status", "ui"):
        # each subcommand on its own line, with what it does
        assert re.search(rf"^ +{command} +\w", result.stdout, flags=re.MULTILINE), command


def test_every_subcommand_s_help_says_what_it_does(tmp_path: Path) -> None:
    for command in ("generate", "run", "load", "forget", "status", "ui"):
        result = _funnel(command, "--help", home=tmp_path)
        assert result.returncode == 0, command
        # the usage, a blank line, then a sentence saying what the command does
        description = result.stdout.split("\n\n")[1]
        assert re.match(r"[A-Z][a-z]+ .+\.$", " ".join(description.split())), (command, description)


def test_status_on_a_missing_home_says_so_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "no_home_yet"
    result = _funnel("status", "--home", str(home), home=home)
    assert result.returncode == 2
    assert "no warehouse" in result.stdout
    assert not home.exists()


def test_a_load_quarantines_the_bad_rows_generate_announced_then_says_nothing_is_new(
    tmp_path: Path,
) -> None:
    generated = _funnel("generate", "--contacts", "300", "--seed", "3", "--quiet", home=tmp_path)
    assert generated.returncode == 0, generated.stderr
    announced = {
        entity: int(refused.replace(",", ""))
        for entity, refused in re.findall(
            r"^ +(\w+) +[\d,]+ rows +\([\d,]+ deliberately bad: ([\d,]+) the load quarantines",
            generated.stdout,
            flags=re.MULTILINE,
        )
    }
    assert sum(announced.values()) > 0, generated.stdout
    first = _funnel("load", home=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "Nothing new" not in first.stdout
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        quarantined = dict(
            connection.execute("select entity, count(*) from raw._quarantine group by 1").fetchall()
        )
    assert {e: quarantined.get(e, 0) for e in announced} == announced
    again = _funnel("load", home=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"Nothing new to load in {tmp_path / 'landing'}." in again.stdout


def test_run_without_landing_files_says_what_to_do(tmp_path: Path) -> None:
    result = _funnel("run", home=tmp_path / "empty")
    assert result.returncode == 2
    assert "funnel generate" in result.stderr


def test_run_refuses_a_day_that_is_not_one(tmp_path: Path) -> None:
    result = _funnel("run", "--as-of", "2026-02-30", home=tmp_path)
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr


def test_run_refuses_a_memory_limit_duckdb_would_not_understand(tmp_path: Path) -> None:
    result = subprocess.run(
        [FUNNEL, "run", "--home", str(tmp_path)],
        env={**os.environ, "FUNNEL_DUCKDB_MEMORY_LIMIT": "plenty"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "FUNNEL_DUCKDB_MEMORY_LIMIT='plenty'" in result.stderr


def test_generate_twice_with_one_seed_refuses_rather_than_double_loading(tmp_path: Path) -> None:
    first = _funnel("generate", "--contacts", "50", "--quiet", home=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "contacts" in first.stdout
    second = _funnel("generate", "--contacts", "50", "--quiet", home=tmp_path)
    assert second.returncode == 2
    assert "seed" in second.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ui_serves_the_code_location_on_localhost(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "FUNNEL_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "dagster")}
    process = subprocess.Popen(
        [FUNNEL, "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    query = json.dumps(
        {
            "query": "{ workspaceOrError { ... on Workspace { locationEntries {"
            " name loadStatus locationOrLoadError { __typename } } } } }"
        }
    ).encode()
    statuses: list[str] = []
    entries: list[dict] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and statuses != ["LOADED"]:
            time.sleep(2)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql",
                data=query,
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    entries = json.load(response)["data"]["workspaceOrError"]["locationEntries"]
                    statuses = [entry["loadStatus"] for entry in entries]
            except OSError:
                continue
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a loaded machine: leave nothing running behind
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    assert statuses == ["LOADED"]
    # the location named in pyproject.toml, and its definitions built without an error
    assert [(e["name"], e["locationOrLoadError"]["__typename"]) for e in entries] == [
        ("b2b_funnel", "RepositoryLocation")
    ]


def test_a_failed_step_is_reported_with_the_error_underneath() -> None:
    """Dagster wraps a step's error ("Error occurred while executing op ..."): the last lines of
    a failed run give the error that says what went wrong, on one line."""
    from dagster._utils.error import SerializableErrorInfo

    from orchestration.cli import _root_cause

    cause = SerializableErrorInfo(
        "_csv.Error: field larger than field limit (131072)\n", [], "Error"
    )
    wrapped = SerializableErrorInfo(
        'DagsterExecutionStepExecutionError: Error occurred while executing op "raw__contacts":\n',
        [],
        "DagsterExecutionStepExecutionError",
        cause=cause,
    )
    assert _root_cause(wrapped) == "_csv.Error: field larger than field limit (131072)"
    long = SerializableErrorInfo("IOException: " + "x" * 1000 + "\nmore\n", [], "IOException")
    assert len(_root_cause(long)) <= 300 and "\n" not in _root_cause(long)


def test_a_failed_run_ends_with_each_step_and_its_error_and_a_log_in_full(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "landing" / "contacts").mkdir(parents=True)
    (home / "landing" / "contacts" / "crm.csv").write_text("contact_id,email\nc1,a@b.fr\n")
    (home / "warehouse.duckdb").mkdir()  # a folder where the warehouse file should be
    result = _funnel("load", home=home)
    assert result.returncode == 1, result.stderr[-3000:]
    tail = result.stderr[result.stderr.index("The run failed:") :]
    step_lines = [line for line in tail.splitlines() if line.startswith("  step raw__")]
    assert step_lines and all("Error occurred while executing" not in line for line in step_lines)
    assert any("warehouse.duckdb" in line for line in step_lines), step_lines
    [log] = (home / "logs").glob("funnel-run-*.log")
    assert f"Every error in full: {log}" in tail
    assert "Traceback" in log.read_text() or "Stack Trace" in log.read_text()
    assert not (home / "tmp").exists(), "DuckDB's spill folder outlived the run"
