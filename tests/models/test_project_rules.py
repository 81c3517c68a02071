"""The dbt-project-evaluator rules that fit this project, checked over the parsed manifest.

The rules are held here so that CI needs no package (`dbt deps`): layers named and placed,
staging the only layer that reads sources, documented models and sources, models and seeds with
a tested primary key, public marts with enforced contracts, exposures on public tables only,
every model's YAML in its own folder, no hard-coded relation, no root model, no model reading
too many parents, no fan-out to leaf models, no chain of views. Thresholds are the evaluator's
defaults (v1.3.2, on DuckDB). docs/evaluator.md says how to run the real evaluator, with the
project's exceptions (`rpt_` marts, the project's `primary_key` test).
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

# dbt-project-evaluator's defaults: `too_many_joins_threshold`, `models_fanout_threshold`,
# `chained_views_threshold` (5 on DuckDB).
TOO_MANY_JOINS_THRESHOLD = 7
MODELS_FANOUT_THRESHOLD = 3
CHAINED_VIEWS_THRESHOLD = 5


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
        # a compound key that may hold nulls is unique, not primary (icp_criteria's ranges,
        # the opportunities that count for their company alone)
        keys = {"primary_key", "unique_combination_of_columns"}
        if not (unique & not_null) and not any(t["test_metadata"]["name"] in keys for t in tests):
            missing.append(node["name"])
    assert not missing, f"no tested key (primary_key, unique + not_null, compound): {missing}"


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


def _dag_children(manifest: dict, unique_id: str) -> set[str]:
    """The nodes built from this one (models, exposures), tests left out as the evaluator does."""
    return {
        child
        for child in manifest["child_map"][unique_id]
        if not child.startswith(("test.", "unit_test."))
    }


def test_no_model_reads_too_many_parents(dbt_manifest: dict) -> None:
    """fct_too_many_joins: a model referencing 7 or more distinct models, seeds or sources does
    too much in one place (the evaluator counts references, not `join` keywords)."""
    wide = {
        m["name"]: len(set(_parents(dbt_manifest, m)))
        for m in _models(dbt_manifest)
        if len(set(_parents(dbt_manifest, m))) >= TOO_MANY_JOINS_THRESHOLD
    }
    assert not wide, f"models with {TOO_MANY_JOINS_THRESHOLD} or more parents: {wide}"


def test_no_model_fans_out_to_too_many_leaf_models(dbt_manifest: dict) -> None:
    """fct_model_fanout: a node read by 3 or more models that nothing reads further (no model,
    no exposure) likely holds logic those leaves should share upstream."""
    leaves = {
        m["unique_id"]
        for m in _models(dbt_manifest)
        if not _dag_children(dbt_manifest, m["unique_id"])
    }
    fanning = {
        parent: sorted(leaf_children)
        for parent in dbt_manifest["child_map"]
        if len(leaf_children := _dag_children(dbt_manifest, parent) & leaves)
        >= MODELS_FANOUT_THRESHOLD
    }
    assert not fanning, fanning


def test_every_model_has_a_parent(dbt_manifest: dict) -> None:
    """fct_root_models: a model with no ref or source reads a hard-coded relation or nothing."""
    roots = [m["name"] for m in _models(dbt_manifest) if not _parents(dbt_manifest, m)]
    assert not roots, roots


# fct_hard_coded_references: the evaluator's patterns (macro find_all_hard_coded_references),
# on the raw code without `--` comments: `from`/`join` followed by `{{ var(...) }}`, by
# schema.table or database.schema.table, or by a quoted name.
_QUOTED_PART = r"[\[`\"']?\w+-?\w*[\]`\"']?"
HARD_CODED_REFERENCE = re.compile(
    r"(?<!distinct\s)(?:from|join)\s+(?:"
    r"\{\{\s*var\s*\("
    rf"|{_QUOTED_PART}\.{_QUOTED_PART}(?:\.{_QUOTED_PART})?(?=\s|$)"
    r"|[\[`\"']\w+-?\w+[\]`\"'](?=\s|$)"
    r")",
    re.IGNORECASE,
)


def test_no_model_reads_a_hard_coded_relation(dbt_manifest: dict) -> None:
    hard_coded = {
        m["name"]: found
        for m in _models(dbt_manifest)
        if (found := HARD_CODED_REFERENCE.findall(re.sub(r"--.*", "", m["raw_code"])))
    }
    assert not hard_coded, hard_coded


def test_the_hard_coded_reference_pattern_finds_what_the_evaluator_finds() -> None:
    flagged = [
        "select * from raw.contacts",
        'select * from "warehouse"."raw"."contacts"',
        'select * from a join "contacts" on true',
        "select * from {{ var('contacts_table') }}",
    ]
    allowed = [
        "select * from {{ ref('dim_contacts') }}",
        "select * from {{ source('landing', 'contacts') }}",
        "select * from contacts join companies on contacts.company_id = companies.company_id",
        "select extract(epoch from contacts.created_at) from contacts",
        "select count(distinct from_stage) from transitions",
    ]
    assert all(HARD_CODED_REFERENCE.search(sql) for sql in flagged)
    assert not any(HARD_CODED_REFERENCE.search(sql) for sql in allowed)


def test_no_model_depends_on_a_long_chain_of_views(dbt_manifest: dict) -> None:
    """fct_chained_views_dependencies: more than 5 views (or ephemeral models) in a row upstream
    of a model make it slow to query and to compile."""
    nodes = dbt_manifest["nodes"]

    def views_in_a_row(unique_id: str) -> int:
        node = nodes.get(unique_id)
        if not node or node["config"].get("materialized") not in ("view", "ephemeral"):
            return 0
        return 1 + max(
            (views_in_a_row(p) for p in dbt_manifest["parent_map"][unique_id]), default=0
        )

    chained = {
        m["name"]: chain
        for m in _models(dbt_manifest)
        if (chain := max(map(views_in_a_row, _parents(dbt_manifest, m)), default=0))
        > CHAINED_VIEWS_THRESHOLD
    }
    assert not chained, chained


def test_exposures_read_tables_not_views_or_sources(dbt_manifest: dict) -> None:
    """fct_exposure_parents_materializations: what BI reads is materialized as a table."""
    wrong = [
        f"{exposure['name']} reads {parent}"
        for exposure in dbt_manifest["exposures"].values()
        for parent in exposure["depends_on"]["nodes"]
        if parent.startswith("source.")
        or dbt_manifest["nodes"][parent]["config"]["materialized"] in ("view", "ephemeral")
    ]
    assert not wrong, wrong


def test_every_source_and_source_table_is_described(dbt_manifest: dict) -> None:
    """fct_undocumented_sources and fct_undocumented_source_tables."""
    sources = dbt_manifest["sources"].values()
    problems = sorted(
        {f"source {s['source_name']}" for s in sources if not s["source_description"].strip()}
        | {f"table {s['source_name']}.{s['name']}" for s in sources if not s["description"].strip()}
    )
    assert not problems, problems


def test_sources_are_declared_in_their_staging_folder(dbt_manifest: dict) -> None:
    """fct_source_directories: a source's YAML sits in models/staging/<source name>/, beside the
    staging models that read it."""
    wrong = sorted(
        {
            f"{s['source_name']} declared in {s['original_file_path']}"
            for s in dbt_manifest["sources"].values()
            if s["original_file_path"].rsplit("/", 1)[0] != f"models/staging/{s['source_name']}"
        }
    )
    assert not wrong, wrong


def test_no_two_sources_name_the_same_relation(dbt_manifest: dict) -> None:
    """fct_duplicate_sources."""
    names: dict[str, list[str]] = {}
    for s in dbt_manifest["sources"].values():
        relation = f"{s['database']}.{s['schema']}.{s['identifier']}".lower()
        names.setdefault(relation, []).append(f"{s['source_name']}.{s['name']}")
    duplicated = {relation: found for relation, found in names.items() if len(found) > 1}
    assert not duplicated, duplicated


# Accepted (docs/evaluator.md): every incremental-by-contact model reads int_contact_changes for
# which contacts to rebuild, a control input rather than a concept joined again; dim_contacts
# sums the engagement components rather than the 20 M events, and reads the fit score the
# components do not hold.
ACCEPTED_REJOINS = {
    (
        "model.b2b_funnel.int_contact_changes",
        "model.b2b_funnel.int_contact_facts_by_instant",
        "model.b2b_funnel.int_contact_states_folded",
    ),
    (
        "model.b2b_funnel.int_contacts_fit_scored",
        "model.b2b_funnel.fct_contact_score_components",
        "model.b2b_funnel.dim_contacts",
    ),
}


def test_no_model_rejoins_an_upstream_concept(dbt_manifest: dict) -> None:
    """fct_rejoining_of_upstream_concepts: when A feeds B, B feeds only C, and C also reads A
    directly, B's logic belongs in C or A's columns should come through B."""
    children: dict[str, set[str]] = {}
    for child, parents in dbt_manifest["parent_map"].items():
        if child.startswith(("model.", "seed.", "snapshot.")):
            for parent in parents:
                children.setdefault(parent, set()).add(child)
    rejoins = [
        (a, b, c)
        for b, b_children in children.items()
        if b.startswith("model.") and len(b_children) == 1
        for c in b_children
        for a in dbt_manifest["parent_map"][b]
        if a in dbt_manifest["parent_map"][c] and (a, b, c) not in ACCEPTED_REJOINS
    ]
    assert not rejoins, f"parent -> child -> grandchild also read directly: {rejoins}"
