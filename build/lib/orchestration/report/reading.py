"""A short plain-language reading of what moved, written from the report's numbers only."""

from __future__ import annotations

from orchestration.report.data import MIN_CONTACTS_FOR_A_READING, ReportData
from orchestration.report.i18n import Formatter

# Stages commented on first: the ones leadership asks about.
READING_STAGES = ("lead", "mql", "sql", "customer")


def _stage_sentences(data: ReportData, fmt: Formatter) -> list[str]:
    headlines = {h.stage: h for h in data.headlines}
    sentences = []
    for stage in READING_STAGES:
        headline = headlines[stage]
        if not headline.entered and not headline.entered_previous:
            continue
        change = (
            fmt.t("reading_change", change=fmt.percent(headline.change, signed=True))
            if headline.change is not None
            else ""
        )
        sentences.append(
            fmt.t(
                "reading_stage",
                stage=fmt.t(f"stage_{stage}"),
                value=fmt.integer(headline.entered),
                month=fmt.month(data.period),
                previous_value=fmt.integer(headline.entered_previous),
                previous=fmt.month(data.previous_period),
                change=change,
            )
        )
    return sentences


def _cohort_sentence(data: ReportData, fmt: Formatter) -> str | None:
    # cohorts whose leads all had the whole window: the month ended at least `window` days ago
    mature = [
        c
        for c in data.cohorts
        if c.window_elapsed["lead_to_mql"] >= MIN_CONTACTS_FOR_A_READING
        and c.window_elapsed["lead_to_mql"] == c.leads
    ]
    if not mature:
        return None
    latest = mature[-1]
    values = {
        "month": fmt.month(latest.month),
        "window": data.conversion_window_days,
        "rate": fmt.percent(latest.window_rates["lead_to_mql"]),
    }
    if len(mature) < 2:
        return fmt.t("reading_cohort_alone", **values)
    before = mature[-2]
    return fmt.t(
        "reading_cohort",
        previous=fmt.month(before.month),
        previous_rate=fmt.percent(before.window_rates["lead_to_mql"]),
        **values,
    )


def _source_sentence(data: ReportData, fmt: Formatter) -> str | None:
    rated = [
        s
        for s in data.sources
        if s.leads_window_elapsed >= MIN_CONTACTS_FOR_A_READING
        and s.lead_to_mql_in_window_rate is not None
        and s.value != "unknown"
    ]
    if len(rated) < 2:
        return None
    rated.sort(key=lambda s: s.lead_to_mql_in_window_rate)
    worst, best = rated[0], rated[-1]
    return fmt.t(
        "reading_sources",
        window=data.conversion_window_days,
        best=best.value,
        best_rate=fmt.percent(best.lead_to_mql_in_window_rate),
        worst=worst.value,
        worst_rate=fmt.percent(worst.lead_to_mql_in_window_rate),
    )


def _slowest_sentence(data: ReportData, fmt: Formatter) -> str | None:
    measured = [
        d
        for d in data.durations
        if d.median_days is not None and d.contacts >= MIN_CONTACTS_FOR_A_READING
    ]
    if not measured:
        return None
    slowest = max(measured, key=lambda d: d.median_days)
    return fmt.t(
        "reading_slowest",
        step=fmt.t(f"step_{slowest.step}"),
        median=fmt.decimal(slowest.median_days),
        p75=fmt.t("days", value=fmt.decimal(slowest.p75_days)),
    )


def _funnel_sentence(data: ReportData, fmt: Formatter) -> str | None:
    if not data.funnel["lead"]:
        return None
    return fmt.t(
        "reading_funnel",
        lead_to_customer=fmt.percent(data.funnel_rates["lead_to_customer"], digits=1),
        as_of=fmt.day(data.as_of),
        customers=fmt.integer(data.funnel["customer"]),
        leads=fmt.integer(data.funnel["lead"]),
    )


def reading(data: ReportData, fmt: Formatter) -> list[str]:
    """A few sentences: the stages' month against the month before, then what stands out."""
    sentences = _stage_sentences(data, fmt)
    for sentence in (
        _cohort_sentence(data, fmt),
        _source_sentence(data, fmt),
        _slowest_sentence(data, fmt),
        _funnel_sentence(data, fmt),
    ):
        if sentence:
            sentences.append(sentence)
    return sentences
