"""The dbt-project-evaluator rules that fit this project, checked over the parsed manifest.

dbt-project-evaluator cannot be installed here (no `dbt deps`), so its rules are held here:
layers named and placed, staging the only layer that reads sources, documented models with a
tested primary key, public marts with enforced contracts, exposures on public models only, and
every model's YAML in its own folder.
"""

from __future__ import annotations

import re

import pytest

LAYER_PREFIXES = {
    "staging": ("stg_",),
    "intermediate": ("int_",),
    "marts": ("dim_", "fct_", "rpt_"),
}
MATERIALIZATION = {"staging": "view", "intermediate": "table", "marts": "table"}


def _models(manifest: dict) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "b2b_funnel"
    ]


def _layer(model: dict) -> str:
    return model["fqn"][1]


def _parents(manifest: dict, model: dict) -> list[str]:
    return manifest["parent_map"][model["unique_id"]]


def test_the_project_has_models_in_each_layer_it_uses(dbt_manifest: dict) -> None:
    layers = {_layer(m) for m in _models(dbt_manifest)}
    assert {"staging", "marts"} <= layers
    assert layers <= set(LAYER_PREFIXES), f"models outside the known layers: {layers}"


def test_every_model_is_prefixed_for_its_layer(dbt_manifest: dict) -> None:
    wrong = [
        m["original_file_path"]
        for m in _models(dbt_manifest)
        if not m["name"].startswith(LAYER_PREFIXES[_layer(m)])
    ]
    assert not wrong, f"models whose name does not match their layer folder: {wrong}"


def test_staging_models_are_named_for_their_source(dbt_manifest: dict) -> None:
    wrong = []
    for model in _models(dbt_manifest):
        if _layer(model) != "staging":
            continue
        sources = [p for p in _parents(dbt_manifest, model) if p.startswith("source.")]
        source_names = {dbt_manifest["sources"][s]["source_name"] for s in sources}
        folder = model["fqn"][2]
        if source_names != {folder} or not model["name"].startswith(f"stg_{folder}__"):
            wrong.append(model["name"])
    assert not wrong, (
        f"staging models not named stg_<source>__<entity> in their source folder: {wrong}"
    )


def test_only_staging_reads_sources_and_staging_reads_one_source(dbt_manifest: dict) -> None:
    problems = []
    for model in _models(dbt_manifest):
        parents = _parents(dbt_manifest, model)
        sources = [p for p in parents if p.startswith("source.")]
        if _layer(model) == "staging":
            if len(sources) != 1:
                problems.append(f"{model['name']} reads {len(sources)} sources")
            models = [p for p in parents if p.startswith("model.")]
            if models:
                problems.append(f"{model['name']} depends on models {models}")
        elif sources:
            problems.append(f"{model['name']} ({_layer(model)}) reads sources {sources}")
    assert not problems, problems


def test_no_layer_reads_a_layer_downstream_of_it(dbt_manifest: dict) -> None:
    order = {"staging": 0, "intermediate": 1, "marts": 2}
    nodes = dbt_manifest["nodes"]
    problems = [
        f"{model['name']} reads {nodes[parent]['name']}"
        for model in _models(dbt_manifest)
        for parent in _parents(dbt_manifest, model)
        if parent.startswith("model.") and order[_layer(nodes[parent])] > order[_layer(model)]
    ]
    assert not problems, problems


def test_every_model_and_column_is_described(dbt_manifest: dict) -> None:
    problems = []
    for model in _models(dbt_manifest):
        if not model["description"].strip():
            problems.append(f"{model['name']} has no description")
        if not model["columns"]:
            problems.append(f"{model['name']} documents no columns")
        problems += [
            f"{model['name']}.{name} has no description"
            for name, column in model["columns"].items()
            if not column["description"].strip()
        ]
    assert not problems, problems


def _tests_on(manifest: dict, unique_id: str) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node.get("attached_node") == unique_id
    ]


@pytest.mark.parametrize("resource_type", ["model", "seed"])
def test_every_model_and_seed_has_a_tested_primary_key(dbt_manifest: dict, resource_type) -> None:
    missing = []
    for node in dbt_manifest["nodes"].values():
        if node["resource_type"] != resource_type or node["package_name"] != "b2b_funnel":
            continue
        tests = _tests_on(dbt_manifest, node["unique_id"])
        unique = {t.get("column_name") for t in tests if t["test_metadata"]["name"] == "unique"}
        not_null = {t.get("column_name") for t in tests if t["test_metadata"]["name"] == "not_null"}
        compound = [
            t for t in tests if t["test_metadata"]["name"] == "unique_combination_of_columns"
        ]
        if not (unique & not_null) and not compound:
            missing.append(node["name"])
    assert not missing, f"no tested primary key (unique + not_null, or a compound key): {missing}"


def test_public_models_have_enforced_contracts_with_typed_columns(dbt_manifest: dict) -> None:
    problems = []
    for model in _models(dbt_manifest):
        expected_access = "public" if _layer(model) == "marts" else "protected"
        if model["access"] != expected_access:
            problems.append(f"{model['name']} is {model['access']}, not {expected_access}")
        if _layer(model) != "marts":
            continue
        if not model["config"]["contract"]["enforced"]:
            problems.append(f"{model['name']} has no enforced contract")
        problems += [
            f"{model['name']}.{name} has no data_type"
            for name, column in model["columns"].items()
            if not column.get("data_type")
        ]
    assert not problems, problems


def test_materialization_is_set_by_folder(dbt_manifest: dict) -> None:
    """A model may differ from its folder only with the reason in `meta.materialized_because`."""
    wrong = [
        f"{m['name']} is a {m['config']['materialized']}"
        for m in _models(dbt_manifest)
        if m["config"]["materialized"] != MATERIALIZATION[_layer(m)]
        and not m["config"].get("meta", {}).get("materialized_because")
    ]
    assert not wrong, wrong


def test_every_source_table_is_read_by_exactly_one_staging_model(dbt_manifest: dict) -> None:
    readers: dict[str, list[str]] = {s: [] for s in dbt_manifest["sources"]}
    for model in _models(dbt_manifest):
        for parent in _parents(dbt_manifest, model):
            if parent in readers:
                readers[parent].append(model["name"])
    wrong = {source: names for source, names in readers.items() if len(names) != 1}
    assert not wrong, f"sources without exactly one staging model: {wrong}"


def test_exposures_depend_on_public_models_only(dbt_manifest: dict) -> None:
    exposed = [
        f"{exposure['name']} depends on {parent}"
        for exposure in dbt_manifest["exposures"].values()
        for parent in exposure["depends_on"]["nodes"]
        if dbt_manifest["nodes"][parent].get("access") != "public"
    ]
    assert not exposed, exposed


def test_each_model_is_documented_and_tested_beside_it(dbt_manifest: dict) -> None:
    """A model's YAML (docs, data tests) and its unit tests sit in the model's own folder."""
    misplaced = []
    for model in _models(dbt_manifest):
        folder = model["original_file_path"].rsplit("/", 1)[0]
        yaml_path = model.get("patch_path", "").split("://")[-1]
        if yaml_path.rsplit("/", 1)[0] != folder:
            misplaced.append(f"{model['name']} documented in {yaml_path}")
    for test in dbt_manifest.get("unit_tests", {}).values():
        model = dbt_manifest["nodes"][test["depends_on"]["nodes"][0]]
        if (
            test["original_file_path"].rsplit("/", 1)[0]
            != model["original_file_path"].rsplit("/", 1)[0]
        ):
            misplaced.append(f"unit test {test['name']} away from {model['name']}")
    assert not misplaced, misplaced


def test_every_macro_is_documented_and_dispatch_defaults_are_portable(dbt_manifest: dict) -> None:
    """Each macro a model calls has a YAML description; a `default__` implementation is ANSI SQL
    or stops the compilation, never another engine's dialect."""
    macros = [m for m in dbt_manifest["macros"].values() if m["package_name"] == "b2b_funnel"]
    implementations = ("default__", "duckdb__", "spark__")
    undocumented = [
        m["name"]
        for m in macros
        if not m["name"].startswith(implementations) and not m.get("description", "").strip()
    ]
    assert not undocumented, f"macros without a description in macros/_macros.yml: {undocumented}"
    dialects = ("explode(", "sequence(", "rlike", "percentile_approx", "quantile_cont", ", true)")
    spark_or_duckdb = [
        m["name"]
        for m in macros
        if m["name"].startswith("default__") and any(d in m["macro_sql"] for d in dialects)
    ]
    assert not spark_or_duckdb, spark_or_duckdb


def test_public_columns_that_name_a_person_are_marked_personal(dbt_manifest: dict) -> None:
    """Publication leaves out the columns marked `meta: {personal: true}`: a new identifier
    column (a mobile phone, a full name) must be marked, or BI would receive it."""
    looks_personal = re.compile(r"email|phone|mobile|first_name|last_name|full_name|linkedin")
    unmarked = [
        f"{model['name']}.{name}"
        for model in _models(dbt_manifest)
        if _layer(model) == "marts"
        for name, column in model["columns"].items()
        if looks_personal.search(name)
        and not name.startswith(("has_", "is_"))
        and not column.get("meta", {}).get("personal")
    ]
    assert not unmarked, unmarked
