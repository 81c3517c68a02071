"""Comparing the warehouses of two homes table by table (the end-to-end parity tests)."""

from __future__ import annotations

from pathlib import Path

import duckdb


def base_tables(warehouse: Path, schema: str) -> list[str]:
    """The base tables of `schema` in a DuckDB file, by name."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables"
                " where table_schema = ? and table_type = 'BASE TABLE' order by 1",
                [schema],
            ).fetchall()
        ]


# When the build that computed a row started, and when the record was loaded: each differs
# between two homes by design.
WHEN_BUILT_OR_LOADED = {"built_at", "loaded_at"}


def differences(left: Path, right: Path, compared: list[str]) -> dict[str, str]:
    """The tables (`schema.table`) whose rows differ between the warehouses of two homes, and
    how, on every column but WHEN_BUILT_OR_LOADED."""
    found = {}
    with duckdb.connect() as connection:
        connection.execute(f"attach '{left / 'warehouse.duckdb'}' as lhs (read_only)")
        connection.execute(f"attach '{right / 'warehouse.duckdb'}' as rhs (read_only)")
        for table in compared:
            rows = connection.execute(f"select count(*) from rhs.{table}").fetchone()[0]
            described = connection.execute(f"describe rhs.{table}").fetchall()
            columns = ", ".join(
                f'"{name}"' for name, *_ in described if name not in WHEN_BUILT_OR_LOADED
            )
            only_left, only_right = (
                connection.execute(
                    f"select count(*) from (select {columns} from {a}.{table}"
                    f" except all select {columns} from {b}.{table})"
                ).fetchone()[0]
                for a, b in (("lhs", "rhs"), ("rhs", "lhs"))
            )
            if only_left or only_right:
                found[table] = (
                    f"{only_left} rows only in {left}, {only_right} only in {right} (of {rows})"
                )
    return found
