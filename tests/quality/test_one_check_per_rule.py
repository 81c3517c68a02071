"""Each rule is checked once, by the tool made for it, and each bound or value set has one home.

- dbt tests and contracts hold the rules of the models (staged and public); great-expectations
  holds the raw gate (the `raw.*` suites, before dbt), volumes and distributions. A GX expectation
  on a model that restates a dbt test (or a contract constraint) on the same column fails here.
- A value set or bound that the run fills in as a `$PARAMETER` (grades, funnel states, the date
  floor, the plausible ranges: seeds and dbt vars read by orchestration/vocabulary.py) is never
  typed as a literal in a suite, and a dbt `accepted_values` never lists a seed's values.

The dbt side is read from the parsed manifest (`dbt parse`), the GX side from expectations/.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest

from orchestration.quality.parameters import expectation_parameters
from orchestration.settings import PROJECT_DIR
from orchestration.vocabulary import funnel_states, icp_grades, plausible_bounds

EXPECTATIONS = PROJECT_DIR / "expectations"

# The dbt tests that enforce what a GX expectation type checks, on one column.
SAME_RULE = {
    "expect_column_values_to_not_be_null": {"not_null"},
    "expect_column_values_to_be_unique": {"unique", "primary_key"},
    "expect_column_values_to_be_in_set": {
        "accepted_values",
        "relationships",
        "relationships_where",
    },
    "expect_column_values_to_be_between": {
        "score_in_range",
        "within_plausible_range",
        "not_after_as_of",
        "plausible_date",
        "not_negative",
    },
}
# Contract constraints that enforce the same.
SAME_CONSTRAINT = {
    "expect_column_values_to_not_be_null": {"not_null", "primary_key"},
    "expect_column_values_to_be_unique": {"unique", "primary_key"},
}
# What GX keeps on a model: volumes and distributions (the model rules are dbt tests).
VOLUME_AND_DISTRIBUTION = {
    "expect_table_row_count_to_be_between",
    "expect_column_mean_to_be_between",
    "expect_column_median_to_be_between",
    "expect_column_stdev_to_be_between",
    "expect_column_quantile_values_to_be_between",
    "expect_column_proportion_of_unique_values_to_be_between",
    "expect_column_unique_value_count_to_be_between",
    "expect_column_kl_divergence_to_be_less_than",
}


def _suites() -> list[tuple[str, dict]]:
    return [
        (path.stem, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(EXPECTATIONS.glob("*.json"))
    ]


def _model_suites() -> list[tuple[str, dict]]:
    return [(name, suite) for name, suite in _suites() if not name.startswith("raw.")]


def _dbt_rules(manifest: dict, node_id: str) -> dict[tuple[str, ...], set[str]]:
    """The dbt tests and contract constraints on a model or source, by column(s)."""
    rules: dict[tuple[str, ...], set[str]] = {}
    for test in manifest["nodes"].values():
        if test["resource_type"] != "test" or not test.get("test_metadata"):
            continue
        attached = test.get("attached_node") or next(iter(test["depends_on"]["nodes"]), None)
        if attached != node_id:
            continue
        name = test["test_metadata"]["name"]
        kwargs = test["test_metadata"]["kwargs"]
        if name == "unique_combination_of_columns":
            columns = tuple(sorted(kwargs["combination_of_columns"]))
            rules.setdefault(columns, set()).add(name)
        elif name == "primary_key":
            key = kwargs.get("column_names") or [test["column_name"]]
            rules.setdefault(tuple(sorted(key)), set()).add(name)
            for column in key:  # each column of a key is not null
                rules.setdefault((column,), set()).add("not_null")
        elif test.get("column_name"):
            rules.setdefault((test["column_name"],), set()).add(name)
    node = manifest["nodes"].get(node_id) or manifest["sources"].get(node_id, {})
    for column, spec in node.get("columns", {}).items():
        for constraint in spec.get("constraints", []):
            rules.setdefault((column,), set()).add(f"constraint:{constraint['type']}")
    return rules


def _node_id(manifest: dict, suite_name: str) -> str:
    layer, table = suite_name.split(".", 1)
    if layer == "raw":
        return f"source.b2b_funnel.landing.{table}"
    return f"model.b2b_funnel.{table}"


def _restated(expectation: dict, rules: dict[tuple[str, ...], set[str]]) -> set[str]:
    kind, kwargs = expectation["type"], expectation["kwargs"]
    if kind == "expect_compound_columns_to_be_unique":
        found = rules.get(tuple(sorted(kwargs["column_list"])), set())
        return found & {"unique_combination_of_columns", "primary_key"}
    on_column = rules.get((kwargs.get("column"),), set())
    tests = on_column & SAME_RULE.get(kind, set())
    constraints = {
        c for c in on_column if c.removeprefix("constraint:") in SAME_CONSTRAINT.get(kind, set())
    }
    return tests | constraints


@pytest.mark.parametrize("suite_name", [name for name, _ in _suites()])
def test_no_expectation_restates_a_dbt_test_on_the_same_column(
    dbt_manifest: dict, suite_name: str
) -> None:
    suite = dict(_suites())[suite_name]
    node_id = _node_id(dbt_manifest, suite_name)
    assert node_id in dbt_manifest["nodes"] or node_id in dbt_manifest["sources"], node_id
    rules = _dbt_rules(dbt_manifest, node_id)
    restated = [
        f"{suite_name}: {e['description']!r} restates dbt {sorted(found)}"
        for e in suite["expectations"]
        if (found := _restated(e, rules))
    ]
    assert not restated, restated


@pytest.mark.parametrize("suite_name", [name for name, _ in _model_suites()])
def test_suites_on_models_hold_only_volumes_and_distributions(suite_name: str) -> None:
    """A model rule is a dbt test (the model's YAML, tests/dbt/generic/); GX keeps what dbt has
    no test for: the row count against the previous run, and distributions."""
    suite = dict(_suites())[suite_name]
    rules = [
        f"{e['type']}: {e['description']!r}"
        for e in suite["expectations"]
        if e["type"] not in VOLUME_AND_DISTRIBUTION
    ]
    assert not rules, f"{suite_name} checks model rules: write them as dbt tests: {rules}"


def _parameters() -> dict[str, Any]:
    return expectation_parameters(date(2026, 6, 30), [], 1000)


def _is_literal(value: Any) -> bool:
    return not (isinstance(value, dict) and "$PARAMETER" in value)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            return None
    return None


def test_every_parameter_a_suite_names_is_filled_by_the_run() -> None:
    """A misspelt `$PARAMETER` would resolve to nothing: an unbounded range, an empty set."""
    known = set(_parameters())
    unknown = [
        f"{name}: {value['$PARAMETER']}"
        for name, suite in _suites()
        for e in suite["expectations"]
        for value in e["kwargs"].values()
        if isinstance(value, dict) and "$PARAMETER" in value and value["$PARAMETER"] not in known
    ]
    assert not unknown, unknown


def test_no_value_set_or_bound_is_a_literal_where_a_parameter_exists() -> None:
    parameters = _parameters()
    value_sets = {name: set(v) for name, v in parameters.items() if isinstance(v, list)}
    floor = parameters["earliest_plausible_at"].date()
    measures = plausible_bounds()
    # a bound that is one of the plausible ranges' (0 and 1 are every scale's, not a rule's)
    plausible_values = {v for b in measures.values() for v in b} - {0, 1}
    literals = []
    for name, suite in _suites():
        for e in suite["expectations"]:
            kwargs = e["kwargs"]
            value_set = kwargs.get("value_set")
            if value_set is not None and _is_literal(value_set):
                same = [p for p, v in value_sets.items() if v == set(value_set)]
                if same:
                    literals.append(f"{name}: {e['description']!r} types ${same[0]}")
            for end in ("min_value", "max_value"):
                bound = kwargs.get(end)
                if bound is None or not _is_literal(bound):
                    continue
                if _as_date(bound) == floor:
                    literals.append(f"{name}: {e['description']!r} types the date floor")
                elif kwargs.get("column") in measures or bound in plausible_values:
                    literals.append(f"{name}: {e['description']!r} types a plausible bound")
    assert not literals, literals


def test_dbt_tests_read_seeds_instead_of_listing_their_values(dbt_manifest: dict) -> None:
    """Grades and funnel states are a `relationships` test to their seed, not a literal list."""
    seeded = {
        "icp_grade_bands": set(icp_grades()),
        "funnel_states": {state.state for state in funnel_states()},
    }
    listed = [
        f"{test['attached_node']}.{test['column_name']} lists the values of seed {seed}"
        for test in dbt_manifest["nodes"].values()
        if test["resource_type"] == "test"
        and (test.get("test_metadata") or {}).get("name") == "accepted_values"
        for seed, values in seeded.items()
        if set(test["test_metadata"]["kwargs"]["values"]) <= values
        and len(test["test_metadata"]["kwargs"]["values"]) > 1
    ]
    assert not listed, listed


def test_the_checks_of_the_mapping_exist(dbt_manifest: dict) -> None:
    """The dbt tests this file maps to GX expectations are the project's (a renamed generic test
    would make the mapping silently miss it)."""
    generic = {
        m["name"].removeprefix("test_")
        for m in dbt_manifest["macros"].values()
        if m["name"].startswith("test_")
    }
    mapped = set().union(*SAME_RULE.values())
    assert mapped <= generic, mapped - generic
