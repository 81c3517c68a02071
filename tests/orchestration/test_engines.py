"""Choosing the engine that builds the models, and bringing Spark's public tables back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.engines import (
    DUCKDB,
    SPARK,
    EngineError,
    home_engine,
    import_spark_tables,
)
from orchestration.settings import FunnelPaths

FUNNEL = str(Path(sys.executable).parent / "funnel")


def test_the_home_names_the_engine_else_duckdb(tmp_path: Path) -> None:
    paths = FunnelPaths(tmp_path)
    assert home_engine(paths) == DUCKDB
    (tmp_path / "funnel.toml").write_text('engine = "spark"\n')
    assert home_engine(paths) == SPARK
    (tmp_path / "funnel.toml").write_text('engine = "postgres"\n')
    with pytest.raises(EngineError, match=r"'postgres' is no engine"):
        home_engine(paths)
    (tmp_path / "funnel.toml").write_text("engine = spark\n")
    with pytest.raises(EngineError, match=r"funnel\.toml"):
        home_engine(paths)


def test_a_run_on_spark_without_its_environment_says_how_to_make_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "landing").mkdir(parents=True)
    env = {
        **os.environ,
        "FUNNEL_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "FUNNEL_SPARK_DBT": str(tmp_path / "no-dbt"),
    }
    result = subprocess.run(
        [FUNNEL, "run", "--engine", "spark"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "make spark-setup" in result.stderr and "no-dbt" in result.stderr
    assert not (home / "warehouse.duckdb").exists()


def _manifest(
    tmp_path: Path, tables: dict[str, dict[str, str]], staging: tuple[str, ...] = ()
) -> Path:
    nodes = {
        f"model.p.{name}": {
            "resource_type": "model",
            "schema": "marts",
            "name": name,
            "alias": name,
            "columns": {c: {"data_type": t} for c, t in columns.items()},
        }
        for name, columns in tables.items()
    }
    for name in staging:
        nodes[f"model.p.{name}"] = {
            "resource_type": "model",
            "schema": "staging",
            "name": name,
            "alias": name,
            "columns": {},
        }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"nodes": nodes}))
    return path


def _spark_table(spark_warehouse: Path, name: str, select: str, schema: str = "marts") -> None:
    folder = spark_warehouse / f"{schema}.db" / name
    folder.mkdir(parents=True)
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(f"copy ({select}) to '{folder / 'part-00000.parquet'}' (format parquet)")


def test_spark_public_tables_replace_the_warehouse_ones_typed_by_their_contracts(
    tmp_path: Path,
) -> None:
    spark = tmp_path / "spark"
    _spark_table(
        spark, "dim", "select 7::bigint as id, timestamptz '2026-06-30 22:30:00+00' as seen_at"
    )
    manifest = _manifest(tmp_path, {"dim": {"id": "integer", "seen_at": "timestamp"}})
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        assert import_spark_tables(connection, spark, manifest) == {"dim": 1}
        row = connection.execute("select id, seen_at::varchar from marts.dim").fetchall()
        types = connection.execute("select typeof(id), typeof(seen_at) from marts.dim").fetchall()
    assert row == [(7, "2026-06-30 22:30:00")]  # the instant in UTC, whatever the zone
    assert types == [("INTEGER", "TIMESTAMP")]


def test_a_failed_import_leaves_every_previous_table(tmp_path: Path) -> None:
    spark = tmp_path / "spark"
    _spark_table(spark, "a_dim", "select 2 as id")
    manifest = _manifest(tmp_path, {"a_dim": {"id": "integer"}, "b_fct": {"id": "integer"}})
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.a_dim as select 1 as id")
        with pytest.raises(duckdb.IOException):  # b_fct was not built by Spark
            import_spark_tables(connection, spark, manifest)
        assert connection.execute("select id from marts.a_dim").fetchall() == [(1,)]


def test_spark_staging_models_become_views_of_its_files_in_utc(tmp_path: Path) -> None:
    spark = tmp_path / "spark"
    _spark_table(spark, "dim", "select 1 as id")
    _spark_table(
        spark,
        "stg_events",
        "select 'e1' as event_id, timestamptz '2026-06-30 23:30:00+00' as occurred_at",
        schema="staging",
    )
    manifest = _manifest(tmp_path, {"dim": {"id": "integer"}}, staging=("stg_events",))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute("create schema staging")
        connection.execute("create table staging.stg_events as select 'old' as event_id")
        import_spark_tables(connection, spark, manifest)
        kind = connection.execute(
            "select table_type from information_schema.tables where table_name = 'stg_events'"
        ).fetchall()
        rows = connection.execute(
            "select event_id, occurred_at::varchar, typeof(occurred_at) from staging.stg_events"
        ).fetchall()
    assert kind == [("VIEW",)]  # a DuckDB build's table replaced
    assert rows == [("e1", "2026-06-30 23:30:00", "TIMESTAMP")]
