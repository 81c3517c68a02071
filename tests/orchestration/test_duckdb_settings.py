"""DuckDB's memory limit and temp folder, set from the machine: a share of its memory (of the
cgroup's limit when there is one) within a ceiling, or the operator's value; spilled data under
FUNNEL_HOME/tmp."""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from orchestration import settings
from orchestration.settings import (
    DUCKDB_MEMORY_CEILING,
    MEMORY_LIMIT_ENV,
    FunnelPaths,
    duckdb_config,
    duckdb_memory_limit,
    memory_available_bytes,
    physical_memory_bytes,
)

GIB = 1 << 30


def _cgroup_v2(tmp_path: Path, limit: str) -> tuple[Path, Path]:
    """A cgroup v2 tree (as mounted at /sys/fs/cgroup) and a /proc/self/cgroup that points into
    it, the process's own cgroup holding `limit`."""
    root = tmp_path / "cgroup"
    (root / "system.slice" / "funnel.service").mkdir(parents=True)
    (root / "system.slice" / "funnel.service" / "memory.max").write_text(f"{limit}\n")
    (root / "system.slice" / "memory.max").write_text("max\n")
    proc = tmp_path / "proc_self_cgroup"
    proc.write_text("0::/system.slice/funnel.service\n")
    return root, proc


def test_without_a_cgroup_limit_the_machine_memory_counts(tmp_path: Path) -> None:
    root, proc = _cgroup_v2(tmp_path, "max")
    assert memory_available_bytes(root, proc) == physical_memory_bytes()
    assert memory_available_bytes(tmp_path / "none", tmp_path / "none") == physical_memory_bytes()


def test_a_cgroup_v2_limit_below_the_machine_memory_counts(tmp_path: Path) -> None:
    root, proc = _cgroup_v2(tmp_path, str(2 * GIB))
    assert memory_available_bytes(root, proc) == min(2 * GIB, physical_memory_bytes())


def test_a_cgroup_v1_limit_counts_and_its_unlimited_value_does_not(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    (root / "memory" / "docker" / "abc").mkdir(parents=True)
    proc = tmp_path / "proc_self_cgroup"
    proc.write_text("12:pids:/docker/abc\n4:memory:/docker/abc\n0::/\n")
    limit = root / "memory" / "docker" / "abc" / "memory.limit_in_bytes"
    limit.write_text("9223372036854771712\n")  # what v1 says when there is no limit
    assert memory_available_bytes(root, proc) == physical_memory_bytes()
    limit.write_text(f"{GIB}\n")
    assert memory_available_bytes(root, proc) == min(GIB, physical_memory_bytes())


def test_the_limit_is_a_share_of_the_memory_within_a_ceiling_unless_the_operator_sets_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    monkeypatch.setattr(settings, "memory_available_bytes", lambda: 2 * GIB)
    assert duckdb_memory_limit() == "1024MiB"
    monkeypatch.setattr(settings, "memory_available_bytes", lambda: 64 * GIB)
    assert duckdb_memory_limit() == f"{DUCKDB_MEMORY_CEILING >> 20}MiB" == "2816MiB"
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "3GB")
    assert duckdb_memory_limit() == "3GB"
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "a lot")
    with pytest.raises(ValueError, match=MEMORY_LIMIT_ENV):
        duckdb_memory_limit()


def test_a_connection_spills_under_funnel_home_within_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "40MiB")
    paths = FunnelPaths(tmp_path)
    config = duckdb_config(paths)
    assert Path(config["temp_directory"]) == tmp_path / "tmp"
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), config=config) as connection:
        assert connection.execute("select current_setting('memory_limit')").fetchone() == (
            "40.0 MiB",
        )
        # a sort of about ten times the limit completes by spilling to the temp folder
        rows = connection.execute(
            "select count(*) from (select md5(i::varchar) as h from range(3000000) t(i)"
            " order by h offset 1)"
        ).fetchone()
    assert rows == (2_999_999,)


@pytest.mark.slow
def test_dbt_connects_with_the_limit_and_temp_folder_funnel_exports(
    tmp_path: Path, dbt_show
) -> None:
    rows = dbt_show(
        "select current_setting('memory_limit') as m, current_setting('temp_directory') as t",
        **{MEMORY_LIMIT_ENV: "300MiB"},
    )
    assert rows == [{"m": "300.0 MiB", "t": str(tmp_path / "tmp")}]


@pytest.mark.slow
def test_dbt_keeps_working_after_a_query_spilled_to_the_temp_folder(tmp_path: Path) -> None:
    """dbt opens a cursor per node. Settings given as `SET` on each cursor fail once DuckDB has
    spilled ("Cannot switch temporary directory after the current one has been used"), so every
    node after the first spill would fail: the temp folder is set once, when the database opens."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    from orchestration.settings import PROJECT_DIR

    options = ["--quiet", "--profiles-dir", str(PROJECT_DIR), "--project-dir", str(PROJECT_DIR)]
    options += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    spilling = (
        "select count(*) as n from (select md5(i::varchar) as h from range(3000000) t(i)"
        " order by h offset 1)"
    )
    variables = {"FUNNEL_HOME": str(tmp_path), MEMORY_LIMIT_ENV: "100MiB"}
    with mock.patch.dict(os.environ, variables):
        try:
            # one process, one DuckDB instance: the second command opens a new cursor on it
            results = [
                dbtRunner().invoke(["show", "--inline", query, *options])
                for query in (spilling, "select 1 as one")
            ]
        finally:  # dbt-duckdb keeps the database open in a class attribute: close it
            if DuckDBConnectionManager._ENV is not None:
                DuckDBConnectionManager._ENV.close()
                DuckDBConnectionManager._ENV = None
    assert [r.success for r in results] == [True, True], [str(r.exception) for r in results]
