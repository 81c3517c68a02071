"""Each vocabulary is written once, in its home, and read from there everywhere else.

The funnel states live in `seeds/funnel_states.csv`: models join the seed or pivot on it
(`funnel_state_names`), the quality suites get it as `$PARAMETER`s, Python reads it through
`orchestration.vocabulary`. These tests fail when a copy comes back: a list of several states
typed outside the seed, or a state name used in a model that the seed does not define (a state
renamed in the seed would otherwise leave its old name behind).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestration.settings import PROJECT_DIR
from orchestration.vocabulary import funnel_stages, funnel_states

STATES = [state.state for state in funnel_states()]
HOME = PROJECT_DIR / "seeds" / "funnel_states.csv"
SCANNED = ("*.sql", "*.yml", "*.json", "*.py", "*.csv", "*.md")
FOLDERS = ("models", "macros", "seeds", "tests", "expectations", "orchestration", "benchmarks")

# A list of states chosen on purpose (not the vocabulary restated), each checked to hold states.
CHOSEN_SUBSETS = {
    # the stages the report's plain-language reading comments on, leadership's questions
    Path("orchestration/report/reading.py"): "READING_STAGES",
}

_NAME = r"\b(?:" + "|".join(map(re.escape, STATES)) + r")\b"
_ITEM = rf"""['"]?{_NAME}['"]?"""
# three or more state names in a row, separated by commas: a tuple, a list, a YAML flow
# sequence, an SQL `in (...)` list or a JSON array
STATE_LIST = re.compile(rf"{_ITEM}(?:\s*,\s*{_ITEM}){{2,}}")


def _project_files() -> list[Path]:
    files = [PROJECT_DIR / "dbt_project.yml"]
    for folder in FOLDERS:
        for pattern in SCANNED:
            files.extend((PROJECT_DIR / folder).rglob(pattern))
    return sorted(f for f in files if "snapshots" not in f.parts and f != HOME)


def test_the_seed_defines_each_state_once_with_stages_before_side_states() -> None:
    assert len(STATES) == len(set(STATES))
    kinds = [state.kind for state in funnel_states()]
    assert kinds == sorted(kinds, key=["stage", "side"].index)
    assert funnel_stages()[0] == "prospect"


def test_no_file_restates_the_list_of_funnel_states() -> None:
    copies = []
    for path in _project_files():
        relative = path.relative_to(PROJECT_DIR)
        text = path.read_text(encoding="utf-8")
        for match in STATE_LIST.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            if (
                relative in CHOSEN_SUBSETS
                and CHOSEN_SUBSETS[relative] in text.splitlines()[line - 1]
            ):
                continue
            copies.append(f"{relative}:{line}: {match.group(0)}")
    assert not copies, (
        "The funnel states are listed outside seeds/funnel_states.csv; read them from the seed "
        "(SQL: ref('funnel_states') or funnel_state_names(); suites: $PARAMETER funnel_states; "
        "Python: orchestration.vocabulary):\n" + "\n".join(copies)
    )


def test_chosen_subsets_of_states_hold_only_states() -> None:
    from orchestration.report.reading import READING_STAGES

    assert set(READING_STAGES) <= set(funnel_stages())


# Where a model names one state: compared with a state column, given to a macro
# (`funnel_state_order('sql')`), or left out of a pivot (`funnel_state_names(exclude=[...])`).
STATE_COMPARED = re.compile(
    r"\b(?:stage|state)\s*(?:=|!=|<>)\s*'(\w+)'|funnel_state_order\('(\w+)'\)"
)
STATE_EXCLUDED = re.compile(r"exclude=\[([^\]]*)\]")
# The state machine: every literal its `case` expressions give (`then 'mql'`) is a state.
STATE_MACHINE = ("int_contact_states_folded", "int_contact_stage_timeline")
ASSIGNED = re.compile(r"\b(?:then|else)\s+'(\w+)'")
MODELS = sorted((PROJECT_DIR / "models").rglob("*.sql"))
SUITES = sorted((PROJECT_DIR / "expectations").glob("*.json"))


def _sql(name: str) -> str:
    return next(m for m in MODELS if m.stem == name).read_text(encoding="utf-8")


@pytest.mark.parametrize("model", MODELS + SUITES, ids=lambda p: p.stem)
def test_every_state_a_model_or_suite_names_is_in_the_seed(model: Path) -> None:
    sql = model.read_text(encoding="utf-8")
    named = {name for names in STATE_COMPARED.findall(sql) for name in names if name}
    for names in STATE_EXCLUDED.findall(sql):
        named.update(re.findall(r"'(\w+)'", names))
    if model.stem in STATE_MACHINE:
        named.update(ASSIGNED.findall(sql))
    unknown = sorted(named - set(STATES))
    assert not unknown, f"{model.name} names states the seed does not define: {unknown}"


def test_the_state_machine_has_a_rule_for_every_state_of_the_seed() -> None:
    assigned = {name for model in STATE_MACHINE for name in ASSIGNED.findall(_sql(model))}
    assert assigned == set(STATES), (
        f"states without a rule: {sorted(set(STATES) - assigned)}; "
        f"rules for unknown states: {sorted(assigned - set(STATES))}"
    )
