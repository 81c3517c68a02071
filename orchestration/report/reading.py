"""A short plain-language reading of what moved, written from the report's numbers only.

"What moved" ranks the changes from the previous month by the rules of
`orchestration/report/stats.py`: first the changes chance alone would rarely produce (p < 5 %)
on a base of at least `MIN_CONTACTS_FOR_A_READING` contacts, the largest relative change first;
then the others, the closest to significant first, each said to be too small to read. A change
on a base under the minimum is given as a difference of contacts, never as a percentage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from orchestration.report.data import STAGES, ReportData
from orchestration.report.i18n import Formatter
from orchestration.report.stats import (
    MIN_CONTACTS_FOR_A_READING,
    SIGNIFICANCE_LEVEL,
    Rate,
    count_change_p_value,
    two_proportion_p_value,
)

# The stages whose month-on-month entries "What moved" weighs: every stage of the funnel.
READING_STAGES = STAGES
# The rate whose latest mature cohort is compared with the cohort before it.
READING_STEP = "lead_to_mql"


@dataclass(frozen=True)
class Move:
    """A change from the previous period to this one: contacts entering a stage (a count), or
    a rate of one cohort against the one before."""

    key: str  # the stage (counts) or the step (rates)
    current: int | Rate
    previous: int | Rate
    p_value: float | None

    @property
    def is_rate(self) -> bool:
        return isinstance(self.current, Rate)

    @property
    def has_base(self) -> bool:
        """The base is large enough to read a change on: last month's count, or both rates'
        contacts, at least the minimum."""
        if self.is_rate:
            return min(self.current.contacts, self.previous.contacts) >= MIN_CONTACTS_FOR_A_READING
        return self.previous >= MIN_CONTACTS_FOR_A_READING

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANCE_LEVEL

    @property
    def readable(self) -> bool:
        return self.has_base and self.significant

    @property
    def verdict(self) -> str:
        """`read`, `chance` (a base large enough, a change chance explains) or `small`."""
        if not self.has_base:
            return "small"
        return "read" if self.significant else "chance"

    @property
    def relative_change(self) -> float | None:
        now, before = (
            (self.current.value, self.previous.value)
            if self.is_rate
            else (self.current, self.previous)
        )
        if now is None or before is None or before == 0:
            return None
        return now / before - 1

    @property
    def size(self) -> float:
        """How large the change is, to rank moves: the relative change (infinite from zero)."""
        change = self.relative_change
        if change is not None:
            return abs(change)
        return math.inf if self.difference else 0.0

    @property
    def difference(self) -> float:
        """This period minus the previous: contacts, or a share for rates."""
        if self.is_rate:
            if self.current.value is None or self.previous.value is None:
                return 0.0
            return self.current.value - self.previous.value
        return self.current - self.previous


def count_move(key: str, count: int, previous: int, days: int = 1, previous_days: int = 1) -> Move:
    """The change of a count between two periods of `days` and `previous_days` days."""
    return Move(key, count, previous, count_change_p_value(count, previous, days, previous_days))


def rate_move(key: str, rate: Rate, previous: Rate) -> Move:
    p_value = two_proportion_p_value(
        rate.converted, rate.contacts, previous.converted, previous.contacts
    )
    return Move(key, rate, previous, p_value)


def rank_moves(moves: list[Move]) -> list[Move]:
    """The readable moves, largest first, then the others, the closest to significant first."""
    readable = sorted((m for m in moves if m.readable), key=lambda m: (-m.size, m.p_value, m.key))
    others = sorted(
        (m for m in moves if not m.readable),
        key=lambda m: (
            m.verdict != "chance",
            m.p_value if m.p_value is not None else 2.0,
            -abs(m.difference),
            m.key,
        ),
    )
    return readable + others


@dataclass(frozen=True)
class Line:
    """A sentence of the reading; `muted` when it says a change is too small to read."""

    text: str
    muted: bool = False


def data_moves(data: ReportData) -> list[Move]:
    """Every change the reading weighs: each stage's entries, and the latest mature cohort's
    lead to MQL rate within the window against the cohort before."""
    days, previous_days = data.period_days
    moves = [
        count_move(h.stage, h.entered, h.entered_previous, days, previous_days)
        for h in data.headlines
        if h.stage in READING_STAGES and (h.entered or h.entered_previous)
    ]
    mature = _mature_cohorts(data)
    if len(mature) >= 2:
        before, latest = mature[-2], mature[-1]
        moves.append(
            rate_move(
                READING_STEP, latest.window_rate(READING_STEP), before.window_rate(READING_STEP)
            )
        )
    return moves


def _mature_cohorts(data: ReportData) -> list:
    """Cohorts whose leads all had the whole window: the month ended `window` days ago."""
    return [
        c
        for c in data.cohorts
        if c.window_elapsed[READING_STEP] > 0 and c.window_elapsed[READING_STEP] == c.leads
    ]


def move_sentence(move: Move, data: ReportData, fmt: Formatter) -> Line:
    verdict = move.verdict
    suffix = {"read": "", "chance": "_chance", "small": "_small"}[verdict]
    if move.is_rate:
        mature = _mature_cohorts(data)
        text = fmt.t(
            "move_rate" + suffix,
            step=fmt.label("step", move.key),
            window=data.conversion_window_days,
            rate=fmt.rate(move.current),
            month=fmt.month(mature[-1].month),
            previous_rate=fmt.rate(move.previous),
            previous=fmt.month(mature[-2].month),
            change=fmt.points(move.difference),
            minimum=MIN_CONTACTS_FOR_A_READING,
        )
    else:
        change = (
            fmt.percent(move.relative_change, signed=True)
            if move.has_base and move.relative_change is not None
            else fmt.signed_integer(int(move.difference))
        )
        text = fmt.t(
            "move_count" + suffix,
            stage=fmt.label("stage", move.key),
            value=fmt.integer(move.current),
            month=fmt.month(data.period),
            previous_value=fmt.integer(move.previous),
            previous=fmt.month(data.previous_period),
            change=change,
            minimum=MIN_CONTACTS_FOR_A_READING,
        )
    return Line(text, muted=verdict != "read")


def _source_sentence(data: ReportData, fmt: Formatter) -> Line | None:
    rated = [
        s
        for s in data.sources
        if s.lead_to_mql.readable and s.lead_to_mql.value is not None and s.value != "unknown"
    ]
    if len(rated) < 2:
        return None
    rated.sort(key=lambda s: (s.lead_to_mql.value, s.value))
    worst, best = rated[0], rated[-1]
    p_value = two_proportion_p_value(
        best.lead_to_mql.converted,
        best.lead_to_mql.contacts,
        worst.lead_to_mql.converted,
        worst.lead_to_mql.contacts,
    )
    clear = p_value is not None and p_value < SIGNIFICANCE_LEVEL
    return Line(
        fmt.t(
            "reading_sources" if clear else "reading_sources_even",
            window=data.conversion_window_days,
            best=fmt.label("lead_source", best.value),
            best_rate=fmt.rate(best.lead_to_mql),
            worst=fmt.label("lead_source", worst.value),
            worst_rate=fmt.rate(worst.lead_to_mql),
        ),
        muted=not clear,
    )


def _slowest_sentence(data: ReportData, fmt: Formatter) -> Line | None:
    measured = [
        d
        for d in data.durations
        if d.median_days is not None and d.contacts >= MIN_CONTACTS_FOR_A_READING
    ]
    if not measured:
        return None
    slowest = max(measured, key=lambda d: d.median_days)
    return Line(
        fmt.t(
            "reading_slowest",
            step=fmt.label("step", slowest.step),
            median=fmt.decimal(slowest.median_days),
            p75=fmt.t("days", value=fmt.decimal(slowest.p75_days)),
            contacts=fmt.integer(slowest.contacts),
        )
    )


def _funnel_sentence(data: ReportData, fmt: Formatter) -> Line | None:
    if not data.funnel["lead"]:
        return None
    return Line(
        fmt.t(
            "reading_funnel",
            lead_to_customer=fmt.rate(data.funnel_rate("lead_to_customer"), digits=1),
            as_of=fmt.day(data.as_of),
        )
    )


def reading(data: ReportData, fmt: Formatter) -> list[Line]:
    """The month's changes, ranked and judged, then what stands out across all cohorts."""
    lines = [move_sentence(move, data, fmt) for move in rank_moves(data_moves(data))]
    for line in (
        _source_sentence(data, fmt),
        _slowest_sentence(data, fmt),
        _funnel_sentence(data, fmt),
    ):
        if line:
            lines.append(line)
    return lines
