"""The query an operator runs on the working warehouse to see the rows an expectation found."""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from orchestration.quality.suites import ROW_COUNT_EXPECTATION, UNEXPECTED_ROWS_EXPECTATION


def _resolve(value: Any, parameters: Mapping[str, Any]) -> Any:
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters.get(value["$PARAMETER"])
    return value


def _literal(value: Any) -> str:
    if isinstance(value, datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, str):
        escaped = value.replace("'", "''")
        return f"'{escaped}'"
    return str(value)


def failing_rows_sql(expectation: Mapping[str, Any], table: str, parameters: Mapping) -> str:
    """A query an operator can run on the working warehouse to see what an expectation found."""
    kwargs = {k: _resolve(v, parameters) for k, v in expectation["kwargs"].items()}
    column = kwargs.get("column")
    kind = expectation["type"]
    if kind == UNEXPECTED_ROWS_EXPECTATION:
        query = kwargs["unexpected_rows_query"].replace("{batch}", table)
        return query.replace("{{", "{").replace("}}", "}")
    if kind == "expect_column_values_to_not_be_null":
        return f"select * from {table} where {column} is null"
    if kind == "expect_column_values_to_be_unique":
        return (
            f"select {column}, count(*) as row_count from {table} where {column} is not null"
            f" group by {column} having count(*) > 1 order by row_count desc"
        )
    if kind == "expect_compound_columns_to_be_unique":
        columns = ", ".join(kwargs["column_list"])
        return (
            f"select {columns}, count(*) as row_count from {table}"
            f" group by {columns} having count(*) > 1 order by row_count desc"
        )
    if kind == "expect_column_values_to_be_in_set":
        values = ", ".join(_literal(v) for v in kwargs["value_set"])
        return (
            f"select {column}, count(*) as row_count from {table}"
            f" where {column} not in ({values}) group by {column} order by row_count desc"
        )
    if kind == "expect_column_values_to_be_between":
        bounds = []
        if kwargs.get("min_value") is not None:
            below = "<=" if kwargs.get("strict_min") else "<"
            bounds.append(f"{column} {below} {_literal(_parse_bound(kwargs['min_value']))}")
        if kwargs.get("max_value") is not None:
            above = ">=" if kwargs.get("strict_max") else ">"
            bounds.append(f"{column} {above} {_literal(_parse_bound(kwargs['max_value']))}")
        return f"select * from {table} where {' or '.join(bounds) or 'false'}"
    if kind == ROW_COUNT_EXPECTATION:
        return f"select count(*) as row_count from {table}"
    return f"select * from {table}"


def _parse_bound(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value
