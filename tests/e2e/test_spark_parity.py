"""The dbt models on Spark give the public tables they give on DuckDB, from the same raw rows.

The session's pipeline run (600 contacts as of AS_OF, on DuckDB) is the reference: its raw
tables are exported to Parquet, `spark_build.py` builds the project on Spark from them (dbt
build with its data tests, then the unit tests Spark can run) in the Spark environment
(`make spark-setup`), and every table of schema `marts` must equal DuckDB's row for row after
sorting, doubles within 1e-9. Build timestamps (`built_at`) differ by nature and are left out.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest
from pipeline_run import AS_OF, Run

from orchestration.settings import PROJECT_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

SPARK_PYTHON = PROJECT_DIR / ".venv-spark" / "bin" / "python"
TOLERANCE = 1e-9


def _export_raw(warehouse: Path, folder: Path) -> None:
    """Each raw table as Parquet, timestamps as UTC instants, no leading underscore in names."""
    folder.mkdir()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
        for (table,) in tables:
            columns = connection.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            select = ", ".join(
                f'cast("{name}" as timestamptz) as "{name}"'
                if data_type == "TIMESTAMP"
                else f'"{name}"'
                for name, data_type in columns
            )
            target = folder / f"{table.lstrip('_')}.parquet"
            connection.execute(
                f"copy (select {select} from raw.\"{table}\") to '{target}' (format parquet)"
            )


def _rows(connection, relation: str, columns: list[tuple[str, str]]) -> list[tuple]:
    """The relation's rows, exact columns first and doubles last, in one order."""
    exact = [(name, data_type) for name, data_type in columns if data_type != "DOUBLE"]
    doubles = [name for name, data_type in columns if data_type == "DOUBLE"]
    select = [f'cast("{name}" as {data_type}) as "{name}"' for name, data_type in exact]
    select += [f'cast("{name}" as double) as "{name}"' for name in doubles]
    order = [f'"{name}"' for name, _ in exact] + [f'round("{name}", 6)' for name in doubles]
    return connection.execute(
        f"select {', '.join(select)} from {relation} order by {', '.join(order)}"
    ).fetchall()


def _differences(expected: list[tuple], actual: list[tuple], exact_columns: int) -> int:
    if len(expected) != len(actual):
        return max(len(expected), len(actual))  # row counts differ: nothing lines up
    different = 0
    for left, right in zip(expected, actual, strict=True):
        same = left[:exact_columns] == right[:exact_columns] and all(
            (a is None and b is None)
            or (a is not None and b is not None and abs(a - b) <= TOLERANCE)
            for a, b in zip(left[exact_columns:], right[exact_columns:], strict=True)
        )
        different += not same
    return different


@pytest.mark.skipif(not SPARK_PYTHON.exists(), reason="no Spark environment: make spark-setup")
def test_every_public_table_is_the_same_on_spark(run: Run, tmp_path: Path) -> None:
    raw, marts, work = tmp_path / "raw", tmp_path / "marts", tmp_path / "spark"
    work.mkdir()
    _export_raw(run.home / "warehouse.duckdb", raw)
    built = subprocess.run(
        [
            str(SPARK_PYTHON),
            str(Path(__file__).with_name("spark_build.py")),
            str(raw),
            str(marts),
            AS_OF.isoformat(),
            str(work),
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TZ": "UTC"},
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]

    with duckdb.connect(str(run.home / "warehouse.duckdb"), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")
        public = [
            table
            for (table,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
                " order by table_name"
            ).fetchall()
        ]
        assert sorted(p.name for p in marts.iterdir()) == public
        different = {}
        for table in public:
            columns = [
                (name, data_type)
                for name, data_type in connection.execute(
                    "select column_name, data_type from information_schema.columns"
                    " where table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if name != "built_at"
            ]
            exact_columns = sum(data_type != "DOUBLE" for _, data_type in columns)
            expected = _rows(connection, f"marts.{table}", columns)
            actual = _rows(connection, f"read_parquet('{marts / table}/*.parquet')", columns)
            assert expected, f"{table} is empty: the comparison would prove nothing"
            count = _differences(expected, actual, exact_columns)
            if count:
                different[table] = count
    assert not different, f"rows that differ on Spark, by table: {different}"
