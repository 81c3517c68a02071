"""The configuration seeds agree with the contract and with what real exports write."""

from __future__ import annotations

import csv
import re

from orchestration import contract
from orchestration.loading.casting import FALSE_WORDS, TRUE_WORDS
from orchestration.settings import PROJECT_DIR
from orchestration.synthetic import SYNONYMS

SEEDS = PROJECT_DIR / "seeds"


def _rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def normalize_vocabulary(value: str) -> str:
    """What the `normalize_vocabulary` macro does to a raw value."""
    return re.sub(r"[ _-]+", "_", value.strip().lower())


def _vocabulary() -> dict[tuple[str, str], str]:
    return {(r["domain"], r["synonym"]): r["canonical_value"] for r in _rows("vocabulary_synonyms")}


def test_every_canonical_value_maps_to_itself() -> None:
    vocabulary = _vocabulary()
    domains = {
        "event_type": contract.EVENT_TYPES,
        "activity_type": contract.ACTIVITY_TYPES,
        "outcome": contract.OUTCOMES,
        "seniority": contract.SENIORITIES,
        "department": contract.DEPARTMENTS,
    }
    missing = [
        (domain, value)
        for domain, values in domains.items()
        for value in values
        if vocabulary.get((domain, value)) != value
    ]
    assert not missing


def test_synonyms_are_stored_normalised_and_map_to_canonical_values() -> None:
    canonical = {
        "event_type": set(contract.EVENT_TYPES),
        "activity_type": set(contract.ACTIVITY_TYPES),
        "outcome": set(contract.OUTCOMES),
        "seniority": set(contract.SENIORITIES),
        "department": set(contract.DEPARTMENTS),
    }
    for (domain, synonym), value in _vocabulary().items():
        assert synonym == normalize_vocabulary(synonym), synonym
        if domain == "country":
            assert re.fullmatch("[A-Z]{2}", value), value
        else:
            assert value in canonical[domain], (domain, synonym, value)


def test_every_spelling_the_generator_writes_is_mapped() -> None:
    vocabulary = _vocabulary()
    wrong = {
        (domain, raw): (vocabulary.get((domain, normalize_vocabulary(raw))), expected)
        for domain, variants in SYNONYMS.items()
        if domain != "boolean"
        for raw, expected in variants.items()
        if vocabulary.get((domain, normalize_vocabulary(raw))) != expected
    }
    assert not wrong, f"spellings mapped wrongly or not at all: {wrong}"


def test_every_boolean_spelling_the_generator_writes_is_read_by_the_loader() -> None:
    for raw, expected in SYNONYMS["boolean"].items():
        words = TRUE_WORDS if expected == "true" else FALSE_WORDS
        assert raw.strip().lower() in words, raw


def test_event_scoring_covers_every_canonical_event_type() -> None:
    scored = {row["event_type"] for row in _rows("engagement_event_points")}
    assert scored == set(contract.EVENT_TYPES)
    signals = {
        r["event_type"]
        for r in _rows("engagement_event_points")
        if r["is_interest_signal"] == "true"
    }
    # SPEC: by default the interest signals are the definitions' first eight types.
    assert signals == set(contract.EVENT_TYPES[:8])


def test_icp_criteria_values_are_known_values() -> None:
    known = {
        "seniority": set(contract.SENIORITIES),
        "department": set(contract.DEPARTMENTS),
    }
    for row in _rows("icp_criteria"):
        if row["attribute"] in known:
            assert row["match_value"] in known[row["attribute"]], row
        if row["attribute"] == "country":
            assert re.fullmatch("[A-Z]{2}", row["match_value"]), row


def test_the_readme_documents_every_funnel_state_in_the_seeds_order() -> None:
    """The README's state table and diagram are what users read: they follow the seed."""
    states = [
        row["state"] for row in sorted(_rows("funnel_states"), key=lambda r: int(r["state_order"]))
    ]
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The funnel, as the models compute it") :]
    table = re.findall(r"^\| (\w+) \| .+ \| (stage|side) \|$", section, flags=re.MULTILINE)
    kinds = {row["state"]: row["kind"] for row in _rows("funnel_states")}
    assert [state for state, _ in table] == states
    assert all(kinds[state] == kind for state, kind in table)
    diagram = section[
        section.index("```mermaid") : section.index("```", section.index("```mermaid") + 3)
    ]
    assert all(re.search(rf"\b{state}\b", diagram) for state in states)


def test_the_dbt_docs_show_the_readmes_state_diagram() -> None:
    """dbt docs (fct_funnel_transitions) and the README show one diagram."""

    def diagram(text: str) -> str:
        start = text.index("```mermaid")
        return text[start : text.index("```", start + 3)]

    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    docs = (PROJECT_DIR / "models" / "marts" / "_funnel_states.md").read_text(encoding="utf-8")
    assert diagram(docs) == diagram(readme)
