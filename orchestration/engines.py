"""Which engine builds the dbt models, and what the Spark engine needs around its build.

DuckDB is the default: the models are built in the warehouse file itself. With Spark
(`funnel run --engine spark`, or `engine = "spark"` in FUNNEL_HOME/funnel.toml) the run is the
same but for the dbt build (docs/spark.md):
1. the load writes the warehouse's raw tables as it always does; the raw lake (Parquet, see
   `orchestration/lake.py`) is brought up to date from them;
2. dbt builds every model and runs its data tests on Spark (dbt-spark's session method, in the
   Spark environment `make spark-setup` makes), reading the lake as external tables; its tables
   live in FUNNEL_HOME/spark;
3. the public tables Spark built (schema `marts`) are copied into the warehouse's `marts`,
   typed by their contracts, and the staging models (tables on Spark) become views of the
   warehouse's `staging` over Spark's Parquet files, in one transaction: the quality suites,
   the publication and the report read them there as they read DuckDB's.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import duckdb

from orchestration.settings import PROJECT_DIR, FunnelPaths

DUCKDB, SPARK = "duckdb", "spark"
ENGINES = (DUCKDB, SPARK)
SETTINGS_FILE = "funnel.toml"
# dbt of the Spark environment (`make spark-setup`); another with FUNNEL_SPARK_DBT.
SPARK_DBT_ENV = "FUNNEL_SPARK_DBT"
DEFAULT_SPARK_DBT = PROJECT_DIR / ".venv-spark" / "bin" / "dbt"
# Spark's own configuration: its log4j2.properties keeps the JVM's warnings off the run's output.
SPARK_CONF_DIR = PROJECT_DIR / "orchestration" / "spark_conf"
MARTS_SCHEMA = "marts"
STAGING_SCHEMA = "staging"


class EngineError(ValueError):
    """An engine asked for that cannot run: what to do about it."""


def home_engine(paths: FunnelPaths) -> str:
    """The engine FUNNEL_HOME/funnel.toml names (`engine = "spark"`), else DuckDB."""
    settings_file = paths.home / SETTINGS_FILE
    if not settings_file.exists():
        return DUCKDB
    try:
        settings = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise EngineError(f"{settings_file}: {error}") from None
    return checked_engine(settings.get("engine", DUCKDB), f"`engine` in {settings_file}")


def checked_engine(engine: object, where: str = "the engine") -> str:
    if engine not in ENGINES:
        raise EngineError(f"{where}: {engine!r} is no engine; expected one of {', '.join(ENGINES)}")
    return str(engine)


def spark_dbt() -> Path:
    """The Spark environment's dbt, or a clear error saying how to make it."""
    executable = Path(os.environ.get(SPARK_DBT_ENV) or DEFAULT_SPARK_DBT)
    if not executable.exists():
        raise EngineError(
            f"no dbt for Spark at {executable}: run `make spark-setup` (a Java runtime, dbt-spark"
            f" and pyspark in .venv-spark), or set {SPARK_DBT_ENV} to the dbt of an environment"
            " that has dbt-spark"
        )
    return executable


def spark_paths(paths: FunnelPaths) -> dict[str, Path]:
    """Where the Spark engine keeps its files in FUNNEL_HOME."""
    spark = paths.home / "spark"
    return {
        "lake": paths.home / "lake",
        "warehouse": spark / "warehouse",
        "parse_state": spark / "partial_parse.msgpack",
    }


def _models(manifest_path: Path, schema: str) -> list[dict]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return sorted(
        (
            node
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["schema"] == schema
        ),
        key=lambda node: node["alias"],
    )


def public_models(manifest_path: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each model of schema `marts`, with its contract's columns and DuckDB types, in order."""
    models = []
    for node in _models(manifest_path, MARTS_SCHEMA):
        columns = [(name, column["data_type"]) for name, column in node["columns"].items()]
        if not all(data_type for _, data_type in columns):
            raise EngineError(f"{node['name']}: a public model without a typed contract")
        models.append((node["alias"], columns))
    return models


def _spark_files(spark_warehouse: Path, schema: str, table: str) -> str:
    return f"{spark_warehouse / f'{schema}.db' / table / '*.parquet'}"


def _local_times(connection: duckdb.DuckDBPyConnection, files: str) -> str:
    """The Parquet files' columns, each instant as the warehouse's `TIMESTAMP` (UTC)."""
    described = connection.execute(f"describe select * from read_parquet('{files}')").fetchall()
    return ", ".join(
        f'cast("{name}" as timestamp) as "{name}"'
        if data_type == "TIMESTAMP WITH TIME ZONE"
        else f'"{name}"'
        for name, data_type, *_ in described
    )


def import_spark_tables(
    connection: duckdb.DuckDBPyConnection, spark_warehouse: Path, manifest_path: Path
) -> dict[str, int]:
    """Replace the warehouse's public tables by those Spark built (Parquet files under its
    warehouse folder), each column cast to its contract's type, and its staging models by views
    of Spark's, in one transaction: a failure leaves the previous ones. The number of rows of
    each public table."""
    connection.execute("set TimeZone = 'UTC'")
    counts = {}
    connection.execute("begin transaction")
    try:
        connection.execute(f"create schema if not exists {MARTS_SCHEMA}")
        for table, columns in public_models(manifest_path):
            files = _spark_files(spark_warehouse, MARTS_SCHEMA, table)
            select = ", ".join(
                f'cast("{name}" as {data_type}) as "{name}"' for name, data_type in columns
            )
            connection.execute(
                f'create or replace table {MARTS_SCHEMA}."{table}" as'
                f" select {select} from read_parquet('{files}')"
            )
            counts[table] = connection.execute(
                f'select count(*) from {MARTS_SCHEMA}."{table}"'
            ).fetchone()[0]
        connection.execute(f"create schema if not exists {STAGING_SCHEMA}")
        for node in _models(manifest_path, STAGING_SCHEMA):
            table = node["alias"]
            files = _spark_files(spark_warehouse, STAGING_SCHEMA, table)
            kind = connection.execute(
                "select table_type from information_schema.tables"
                " where table_schema = ? and table_name = ?",
                [STAGING_SCHEMA, table],
            ).fetchone()
            if kind is not None and kind[0] != "VIEW":  # a DuckDB build's incremental table
                connection.execute(f'drop table {STAGING_SCHEMA}."{table}"')
            connection.execute(
                f'create or replace view {STAGING_SCHEMA}."{table}" as'
                f" select {_local_times(connection, files)} from read_parquet('{files}')"
            )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return counts
