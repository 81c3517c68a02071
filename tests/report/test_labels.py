"""The labels seed: every code the project defines has words in both languages (no build needed).

The codes the marts actually hold are checked against the published labels in test_report.py.
"""

from __future__ import annotations

import csv

from orchestration.report.data import STEPS, step_name
from orchestration.report.i18n import Formatter
from orchestration.report.labels import KINDS, LABELS_SEED, label, readable_code, seed_labels
from orchestration.settings import PROJECT_DIR
from orchestration.vocabulary import funnel_states

SEEDS = PROJECT_DIR / "seeds"


def _column(seed: str, column: str) -> set[str]:
    with (SEEDS / f"{seed}.csv").open(encoding="utf-8", newline="") as file:
        return {row[column] for row in csv.DictReader(file)}


def test_every_row_has_a_kind_a_code_and_a_label_in_each_language() -> None:
    with LABELS_SEED.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows and set(rows[0]) == {"kind", "code", "label_en", "label_fr"}
    assert {row["kind"] for row in rows} == set(KINDS)
    blank = [row for row in rows if not all(value.strip() for value in row.values())]
    assert not blank, f"blank cells (Spark would load them as null or 'None'): {blank}"
    keys = [(row["kind"], row["code"]) for row in rows]
    assert len(keys) == len(set(keys))


def test_the_codes_the_project_defines_all_have_labels() -> None:
    labels = seed_labels()
    expected = {
        "stage": {state.state for state in funnel_states()},
        "step": {step_name(step) for step in STEPS} | {"lead_to_customer"},
        "icp_fit_grade": _column("icp_grade_bands", "grade") | {"unknown"},
        "employee_band": _column("company_size_bands", "employee_band") | {"unknown"},
        "country": _column("iso_country_codes", "country_code") | {"unknown"},
        "lead_source": {"unknown"},
        "industry": {"unknown"},
    }
    for kind, codes in expected.items():
        missing = sorted(codes - set(labels.get(kind, {})))
        assert not missing, f"{kind} codes without a label in seeds/report_labels.csv: {missing}"


def test_a_code_without_a_label_is_shown_as_words() -> None:
    labels = {"lead_source": {"purchased_list": {"en": "Purchased list", "fr": "Fichier acheté"}}}
    assert label(labels, "lead_source", "purchased_list", "fr") == "Fichier acheté"
    assert label(labels, "lead_source", "trade_show", "fr") == "Trade show"
    assert label({}, "industry", "Software publishing", "en") == "Software publishing"
    assert readable_code("purchased_list") == "Purchased list"
    assert Formatter("fr", labels).label("lead_source", "purchased_list") == "Fichier acheté"
    assert Formatter("en").label("lead_source", "cold_email") == "Cold email"


def test_french_labels_are_french() -> None:
    labels = seed_labels()
    fr = Formatter("fr", labels)
    assert fr.label("stage", "customer") == "Clients"
    assert fr.label("country", "GB") == "Royaume-Uni"
    assert fr.label("lead_source", "purchased_list") == "Fichier acheté"
    assert Formatter("en", labels).label("lead_source", "purchased_list") == "Purchased list"
