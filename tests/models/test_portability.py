"""What keeps the models' answers the same on DuckDB and on Spark, checked without Spark: seed
types pinned, contract types both engines know, seed rows written as escaped literals, numbers
written as text one way."""

from __future__ import annotations

import csv

import pytest

from orchestration.settings import PROJECT_DIR

# Types whose name means the same on DuckDB and Spark (`varchar` is an error on Spark, `int` and
# `integer` differ from `bigint` in a contract).
PORTABLE_CONTRACT_TYPES = {"string", "bigint", "integer", "double", "boolean", "date", "timestamp"}


def _seeds(manifest: dict) -> list[dict]:
    return [node for node in manifest["nodes"].values() if node["resource_type"] == "seed"]


def test_every_seed_pins_the_type_of_each_of_its_columns(dbt_manifest: dict) -> None:
    """Without `column_types` each engine infers its own (an integer column is `integer` on
    DuckDB and `bigint` on Spark), and the contracts downstream would differ."""
    unpinned = {}
    for seed in _seeds(dbt_manifest):
        with (PROJECT_DIR / seed["original_file_path"]).open(encoding="utf-8") as handle:
            columns = next(csv.reader(handle))
        missing = set(columns) - set(seed["config"].get("column_types") or {})
        if missing:
            unpinned[seed["name"]] = sorted(missing)
    assert not unpinned, unpinned


def test_contracts_use_types_both_engines_know(dbt_manifest: dict) -> None:
    unknown = [
        f"{node['name']}.{name}: {column['data_type']}"
        for node in dbt_manifest["nodes"].values()
        if node["resource_type"] == "model"
        for name, column in node["columns"].items()
        if column.get("data_type") and column["data_type"] not in PORTABLE_CONTRACT_TYPES
    ]
    assert not unknown, unknown


@pytest.mark.slow
def test_seed_literals_numbers_as_text_and_seconds_render_the_same_way(dbt_show) -> None:
    """`spark_seed_literal` escapes for Spark's parser and writes an empty cell as null (the
    rendered Spark literal is read back here as DuckDB text, where a backslash is a plain
    character); `number_as_text` and `seconds_between` give what both engines' versions give."""
    quote = r"""{{ b2b_funnel.spark_seed_literal("côte_d'ivoire \\ x") }}"""
    rows = dbt_show(
        "select"
        f" $q${quote}$q$ as quoted,"
        " '{{ b2b_funnel.spark_seed_literal(none) }}' as empty_cell,"
        " {{ b2b_funnel.number_as_text('19176000.0::double') }} as whole,"
        " {{ b2b_funnel.number_as_text('-12.5::double') }} as fraction,"
        " {{ b2b_funnel.seconds_between(\"timestamp '2026-01-01 00:00:00.900'\","
        " \"timestamp '2026-01-01 00:00:02.100'\") }} as seconds"
    )
    assert rows == [
        {
            "quoted": r"'côte_d\'ivoire \\ x'",
            "empty_cell": "null",
            "whole": "19176000",
            "fraction": "-12.5",
            "seconds": 2,
        }
    ]
