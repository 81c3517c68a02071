""" "What moved": the ranking and too-small rules, on made-up numbers (no report build needed)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from orchestration.report.data import STAGES, Cohort, ReportData, SegmentRow, StageHeadline
from orchestration.report.i18n import Formatter
from orchestration.report.labels import seed_labels
from orchestration.report.reading import (
    count_move,
    data_moves,
    rank_moves,
    rate_move,
    reading,
)
from orchestration.report.stats import MIN_CONTACTS_FOR_A_READING, Rate

PERCENT = re.compile(r"\d\s?\u202f?%")


def _data(entries: dict[str, tuple[int, int]], cohorts: list[Cohort] | None = None, **extra):
    """A report whose period (June 2026, 30 days) and previous period (May, 31 days) had the
    given (entered, entered_previous) per stage, 0 for the others."""
    headlines = [StageHeadline(s, *entries.get(s, (0, 0)), in_stage=0) for s in STAGES]
    values = {
        "as_of": date(2026, 7, 3),
        "period": date(2026, 6, 1),
        "previous_period": date(2026, 5, 1),
        "conversion_window_days": 90,
        "headlines": headlines,
        "funnel": dict.fromkeys(STAGES, 0),
        "funnel_rates": {},
        "funnel_conversions": {},
        "cohorts": cohorts or [],
        "segments": {},
        "sources": [],
        "durations": [],
    }
    values.update(extra)
    return ReportData(**values)


def _cohort(month: date, leads: int, converted: int) -> Cohort:
    return Cohort(
        month,
        leads=leads,
        prospects=0,
        window_rates={"lead_to_mql": converted / leads},
        window_elapsed={"lead_to_mql": leads},
        window_converted={"lead_to_mql": converted},
    )


def test_the_largest_significant_change_comes_first_and_small_bases_are_not_read() -> None:
    # prospects fell 31 % on a large base; customers went from 4 to 5
    data = _data({"prospect": (690, 1000), "lead": (410, 400), "mql": (90, 60), "customer": (5, 4)})
    ranked = rank_moves(data_moves(data))
    assert [m.key for m in ranked][:2] == ["mql", "prospect"]  # +50 % before -31 %
    by_key = {m.key: m for m in ranked}
    assert by_key["prospect"].readable and by_key["mql"].readable
    assert by_key["lead"].verdict == "chance"  # +2.5 % on 400: chance does that
    assert by_key["customer"].verdict == "small"  # 4 is under the minimum
    assert [m.key for m in ranked][2:] == ["lead", "customer"]
    # stages with nothing in either month are not commented on (two sets: the project keeps
    # lists of three states or more in the funnel_states seed only)
    assert set(by_key) == {"prospect", "mql"} | {"lead", "customer"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_change_on_a_tiny_base_is_never_a_percentage(lang: str) -> None:
    data = _data({"customer": (5, 4), "prospect": (690, 1000)})
    lines = reading(data, Formatter(lang, seed_labels()))
    customers = next(line for line in lines if line.text.startswith(("Customers", "Clients")))
    assert customers.muted
    assert not PERCENT.search(customers.text), customers.text
    assert "+1" in customers.text
    assert ("too small to read" if lang == "en" else "trop faible pour conclure") in customers.text
    prospects = lines[0]
    assert prospects.text.startswith("Prospects") and not prospects.muted
    assert "\u221231" in prospects.text  # -31 %, with a minus sign


def test_a_significant_change_on_a_base_under_the_minimum_is_still_too_small() -> None:
    move = count_move("sql", 25, MIN_CONTACTS_FOR_A_READING - 25)  # 5 then 25: p < 5 %
    assert move.significant and not move.has_base
    assert move.verdict == "small" and not move.readable


def test_counts_are_compared_per_day() -> None:
    # 310 in 31 days and 300 in 30 days: the same pace
    assert count_move("lead", 310, 300, 31, 30).p_value == pytest.approx(1.0)


def test_rates_are_compared_with_the_two_proportion_test_and_their_bases() -> None:
    read = rate_move("lead_to_mql", Rate(50, 100), Rate(30, 100))
    assert read.readable and read.difference == pytest.approx(0.2)
    chance = rate_move("lead_to_mql", Rate(22, 100), Rate(18, 100))
    assert chance.verdict == "chance"
    small = rate_move("lead_to_mql", Rate(20, 20), Rate(0, 200))
    assert small.significant and small.verdict == "small"


def test_the_latest_mature_cohorts_rate_is_weighed_with_the_counts() -> None:
    cohorts = [
        _cohort(date(2026, 2, 1), 200, 30),
        _cohort(date(2026, 3, 1), 200, 70),
        # still inside its window: not every lead had the whole 90 days
        Cohort(
            date(2026, 4, 1), 150, 0, {"lead_to_mql": 0.2}, {"lead_to_mql": 20}, {"lead_to_mql": 4}
        ),
    ]
    data = _data({"lead": (200, 198)}, cohorts=cohorts)
    ranked = rank_moves(data_moves(data))
    assert ranked[0].is_rate and ranked[0].readable  # 35 % against 15 %
    assert ranked[0].current == Rate(70, 200) and ranked[0].previous == Rate(30, 200)
    text = reading(data, Formatter("en"))[0].text
    assert "35% (70 / 200)" in text and "15% (30 / 200)" in text and "+20 points" in text
    assert "March 2026" in text and "February 2026" in text


def _source(value: str, leads: int, converted: int) -> SegmentRow:
    return SegmentRow(
        value=value,
        leads=leads,
        mqls=converted,
        sqls=0,
        customers=0,
        lead_to_mql_in_window_rate=converted / leads,
        mql_to_sql_in_window_rate=None,
        lead_to_customer_rate=0.0,
        leads_window_elapsed=leads,
        mqls_window_elapsed=0,
        lead_to_mql_in_window=converted,
    )


def test_sources_are_called_best_and_weakest_only_when_they_differ_beyond_chance() -> None:
    labels = {"lead_source": {"purchased_list": {"en": "Bought list", "fr": "Fichier acheté"}}}
    clear = _data(
        {},
        sources=[_source("website", 400, 120), _source("purchased_list", 300, 30)],
        labels=labels,
    )
    line = reading(clear, Formatter("fr", clear.labels))[-1]
    assert not line.muted
    assert "Meilleure source" in line.text and "Fichier acheté, 10\u202f% (30 / 300)" in line.text
    even = _data(
        {},
        sources=[
            _source("website", 400, 88),
            _source("partner", 100, 22),
            _source("event", 10, 9),  # 90 %, but over 10 leads: not weighed
        ],
    )
    line = reading(even, Formatter("en"))[-1]
    assert line.muted and line.text.startswith("No lead source")
    assert "Event" not in line.text and "Partner, 22% (22 / 100)" in line.text
