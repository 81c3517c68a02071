"""The report's numbers, read from the published public tables with plain SQL.

Every number here is a sum, a ratio of sums, or a percentile over the public tables, with the
definitions of `rpt_stage_conversion` (see its documentation): a rate of several rows is the sum
of its numerator over the sum of its denominator, the two columns its metric in the semantic layer
names (`orchestration/report/metrics.py`), as for every BI tool. The "previous period" is the last
complete calendar month up to the as-of day against the month before it. Every rate keeps its
numerator and denominator, so the report can show both and how sure it is
(`orchestration/report/stats.py`).
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import duckdb

from orchestration.report.labels import LabelTable, load_labels
from orchestration.report.metrics import RateDefinition, rate_definitions
from orchestration.report.stats import Rate
from orchestration.vocabulary import funnel_stages, project_vars

STAGES = funnel_stages()
# The steps of the funnel, each from a stage to the next.
STEPS = tuple(pairwise(STAGES))
SEGMENTS = ("icp_fit_grade", "employee_band", "industry", "country")
COHORT_MONTHS = 12  # cohorts shown in the heatmap, up to the report's period
TOP_SEGMENT_VALUES = 8  # industries and countries shown: the ones with the most leads


def plural(stage: str) -> str:
    """The name of `rpt_stage_conversion`'s count of a stage: `leads`, `opportunities`. A count,
    not a rate: the rates are the semantic layer's (`REPORT_RATES`)."""
    return stage[:-1] + "ies" if stage.endswith("y") else stage + "s"


def step_name(step: tuple[str, str]) -> str:
    return f"{step[0]}_to_{step[1]}"


# The rates the report shows: metrics of the semantic layer (orchestration/report/metrics.py),
# each by the as-of day, lead to customer too, and each within the window.
FUNNEL_RATES = (*(step_name(step) for step in STEPS), "lead_to_customer")
REPORT_RATES = (
    *(f"{name}_rate" for name in FUNNEL_RATES),
    *(f"{step_name(step)}_in_window_rate" for step in STEPS),
)
Rates = dict[str, RateDefinition]


def _sums(columns: list[str]) -> str:
    """The select list summing each column (or measure expression), in order."""
    return ", ".join(f"cast(sum({column}) as bigint)" for column in columns)


def last_complete_month(as_of: date) -> date:
    """The first day of the last calendar month that ended by the end of the as-of day."""
    if (as_of + timedelta(days=1)).day == 1:
        return as_of.replace(day=1)
    return (as_of.replace(day=1) - timedelta(days=1)).replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def days_in_month(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass
class StageHeadline:
    stage: str
    entered: int  # contacts whose first entry into the stage fell in the period
    entered_previous: int  # the same in the month before
    in_stage: int  # contacts in the stage at the end of the as-of day (fct_funnel_daily)

    @property
    def change(self) -> float | None:
        """Relative change against the previous period (None when it had none)."""
        if not self.entered_previous:
            return None
        return self.entered / self.entered_previous - 1


@dataclass
class Cohort:
    month: date
    leads: int
    prospects: int
    window_rates: dict[str, float | None]  # step name -> in-window rate
    window_elapsed: dict[str, int]  # step name -> contacts that had the whole window
    # step name -> of the contacts that had the whole window, those that converted within it
    window_converted: dict[str, int] = field(default_factory=dict)

    def window_rate(self, step: str) -> Rate:
        return Rate(self.window_converted.get(step, 0), self.window_elapsed.get(step, 0))


@dataclass
class SegmentRow:
    value: str
    leads: int
    mqls: int
    sqls: int
    customers: int
    lead_to_mql_in_window_rate: float | None
    mql_to_sql_in_window_rate: float | None
    lead_to_customer_rate: float | None
    leads_window_elapsed: int
    mqls_window_elapsed: int
    lead_to_mql_in_window: int = 0
    mql_to_sql_in_window: int = 0

    @property
    def lead_to_mql(self) -> Rate:
        """Lead to MQL within the window, over the leads that had the whole window."""
        return Rate(self.lead_to_mql_in_window, self.leads_window_elapsed)

    @property
    def mql_to_sql(self) -> Rate:
        """MQL to SQL within the window, over the MQLs that had the whole window."""
        return Rate(self.mql_to_sql_in_window, self.mqls_window_elapsed)


@dataclass
class StepDuration:
    step: str
    contacts: int  # contacts with both stages observed
    median_days: float | None
    p75_days: float | None


@dataclass
class ReportData:
    as_of: date
    period: date  # first day of the last complete month
    previous_period: date
    conversion_window_days: int
    headlines: list[StageHeadline]
    funnel: dict[str, int]  # stage -> contacts that reached it by the as-of day
    funnel_rates: dict[str, float | None]  # step name -> rate by the as-of day
    # step name -> [converted, contacts] of that rate (the rate's numerator and denominator)
    funnel_conversions: dict[str, list[int]]
    cohorts: list[Cohort]
    segments: dict[str, list[SegmentRow]]
    sources: list[SegmentRow]
    durations: list[StepDuration]
    published_at: str | None = None
    notes: list[str] = field(default_factory=list)
    labels: LabelTable = field(default_factory=dict)  # kind -> code -> language -> label

    def funnel_rate(self, step: str) -> Rate:
        converted, contacts = self.funnel_conversions[step]
        return Rate(converted, contacts)

    @property
    def period_days(self) -> tuple[int, int]:
        """Days of the period and of the previous one: counts are compared per day."""
        return days_in_month(self.period), days_in_month(self.previous_period)

    def to_json(self) -> dict:
        """The numbers as JSON-ready data (embedded in the report for checks and reuse)."""
        data = asdict(self)
        del data["labels"]  # words, not numbers: the same JSON whatever the language
        for headline, raw in zip(self.headlines, data["headlines"], strict=True):
            raw["change"] = headline.change
        return _jsonable(data)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _as_of(connection: duckdb.DuckDBPyConnection) -> tuple[date, int]:
    row = connection.execute(
        "select max(as_of_date), max(conversion_window_days) from marts.rpt_stage_conversion"
    ).fetchone()
    if row[0] is None:
        row = connection.execute("select max(as_of_date), null from marts.dim_contacts").fetchone()
    if row[0] is None:
        raise ValueError("The published tables hold no contact: nothing to report on.")
    return row[0], int(row[1] or project_vars()["conversion_window_days"])


def _headlines(
    connection: duckdb.DuckDBPyConnection, as_of: date, period: date, previous: date
) -> list[StageHeadline]:
    next_period = (period + timedelta(days=32)).replace(day=1)
    counts = {
        stage: connection.execute(
            f"""
            select
                count(*) filter (where {stage}_at >= ? and {stage}_at < ?),
                count(*) filter (where {stage}_at >= ? and {stage}_at < ?)
            from marts.dim_contacts
            """,
            [period, next_period, previous, period],
        ).fetchone()
        for stage in STAGES
    }
    stock = dict(
        connection.execute(
            """
            select stage, cast(sum(contacts) as bigint)
            from marts.fct_funnel_daily where funnel_date = ? group by stage
            """,
            [as_of],
        ).fetchall()
    )
    return [
        StageHeadline(stage, int(counts[stage][0]), int(counts[stage][1]), int(stock.get(stage, 0)))
        for stage in STAGES
    ]


def _funnel(
    connection: duckdb.DuckDBPyConnection, rates: Rates
) -> tuple[dict[str, int], dict, dict]:
    stages = {stage: plural(stage) for stage in STAGES}
    fractions = {name: rates[f"{name}_rate"] for name in FUNNEL_RATES}
    parts = [column for f in fractions.values() for column in (f.numerator, f.denominator)]
    columns = list(dict.fromkeys([*stages.values(), *parts]))
    values = connection.execute(
        f"select {_sums(columns)} from marts.rpt_stage_conversion"
    ).fetchone()
    total = {column: int(value or 0) for column, value in zip(columns, values, strict=True)}
    funnel = {stage: total[column] for stage, column in stages.items()}
    conversions = {
        name: [total[fraction.numerator], total[fraction.denominator]]
        for name, fraction in fractions.items()
    }
    funnel_rates = {name: ratio(*counts) for name, counts in conversions.items()}
    return funnel, funnel_rates, conversions


def _window_columns(rates: Rates) -> list[str]:
    """Each step's contacts that had the whole window, then those converted within it."""
    return [
        column
        for step in STEPS
        for column in (
            rates[f"{step_name(step)}_in_window_rate"].denominator,
            rates[f"{step_name(step)}_in_window_rate"].numerator,
        )
    ]


def _cohorts(connection: duckdb.DuckDBPyConnection, period: date, rates: Rates) -> list[Cohort]:
    first = period
    for _ in range(COHORT_MONTHS - 1):
        first = previous_month(first)
    rows = connection.execute(
        f"""
        select cohort_month, cast(sum(leads) as bigint), cast(sum(prospects) as bigint),
            {_sums(_window_columns(rates))}
        from marts.rpt_stage_conversion
        where cohort_month between ? and ?
        group by cohort_month order by cohort_month
        """,
        [first, period],
    ).fetchall()
    cohorts = []
    for row in rows:
        window_rates, elapsed, converted_counts = {}, {}, {}
        for index, step in enumerate(STEPS):
            done, converted = row[3 + 2 * index], row[4 + 2 * index]
            window_rates[step_name(step)] = ratio(converted, done)
            elapsed[step_name(step)] = int(done or 0)
            converted_counts[step_name(step)] = int(converted or 0)
        cohorts.append(
            Cohort(row[0], int(row[1]), int(row[2]), window_rates, elapsed, converted_counts)
        )
    return cohorts


def _segment_rows(
    connection: duckdb.DuckDBPyConnection, column: str, rates: Rates
) -> list[SegmentRow]:
    lead_to_mql = rates["lead_to_mql_in_window_rate"]
    mql_to_sql = rates["mql_to_sql_in_window_rate"]
    lead_to_customer = rates["lead_to_customer_rate"]
    summed = [
        "leads",  # the counts of the stages the segment panels show
        "mqls",
        "sqls",
        "customers",
        lead_to_mql.numerator,
        lead_to_mql.denominator,
        mql_to_sql.numerator,
        mql_to_sql.denominator,
        lead_to_customer.numerator,
        lead_to_customer.denominator,
    ]
    rows = connection.execute(
        f"""
        select {column}, {_sums(summed)}
        from marts.rpt_stage_conversion
        group by {column}
        having sum(leads) > 0
        order by sum(leads) desc, {column}
        """
    ).fetchall()
    return [
        SegmentRow(
            value=str(value),
            leads=int(leads),
            mqls=int(mqls),
            sqls=int(sqls),
            customers=int(customers),
            lead_to_mql_in_window_rate=ratio(lead_mql, leads_done),
            mql_to_sql_in_window_rate=ratio(mql_sql, mqls_done),
            lead_to_customer_rate=ratio(converted, contacts),
            leads_window_elapsed=int(leads_done or 0),
            mqls_window_elapsed=int(mqls_done or 0),
            lead_to_mql_in_window=int(lead_mql or 0),
            mql_to_sql_in_window=int(mql_sql or 0),
        )
        for (
            value,
            leads,
            mqls,
            sqls,
            customers,
            lead_mql,
            leads_done,
            mql_sql,
            mqls_done,
            converted,
            contacts,
        ) in rows
    ]


def _durations(connection: duckdb.DuckDBPyConnection) -> list[StepDuration]:
    """Days between stages over every contact, observed steps only (`rpt_stage_durations`)."""
    rows = connection.execute(
        """
        select from_stage, to_stage, contacts, median_days, p75_days
        from marts.rpt_stage_durations order by step_order
        """
    ).fetchall()
    return [
        StepDuration(step_name((start, end)), int(contacts), median, p75)
        for start, end, contacts, median, p75 in rows
    ]


def _published_at(connection: duckdb.DuckDBPyConnection) -> str | None:
    exists = connection.execute(
        "select count(*) from duckdb_tables() where schema_name = 'main'"
        " and table_name = 'published_tables'"
    ).fetchone()[0]
    if not exists:
        return None
    value = connection.execute("select max(published_at) from main.published_tables").fetchone()[0]
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _band_order(band: str) -> tuple[int, float]:
    digits = "".join(ch for ch in band.split("-")[0] if ch.isdigit())
    return (0, float(digits)) if digits else (1, 0.0)


def load_report_data(
    connection: duckdb.DuckDBPyConnection, semantic_manifest: Path | None = None
) -> ReportData:
    """Every number of the report, from the public tables of `connection` (schema `marts`),
    each rate as the semantic layer defines it (`semantic_manifest`, by default the project's
    parse: `orchestration/report/metrics.py`)."""
    rates = rate_definitions(semantic_manifest, REPORT_RATES)  # before anything is read
    as_of, window = _as_of(connection)
    period = last_complete_month(as_of)
    previous = previous_month(period)
    funnel, funnel_rates, funnel_conversions = _funnel(connection, rates)
    segments = {column: _segment_rows(connection, column, rates) for column in SEGMENTS}
    for column in ("industry", "country"):
        segments[column] = segments[column][:TOP_SEGMENT_VALUES]
    # grades and size bands read in their own order (A to D, small to large), unknown last
    segments["icp_fit_grade"].sort(key=lambda row: (row.value == "unknown", row.value))
    segments["employee_band"].sort(key=lambda row: _band_order(row.value))
    return ReportData(
        as_of=as_of,
        period=period,
        previous_period=previous,
        conversion_window_days=window,
        headlines=_headlines(connection, as_of, period, previous),
        funnel=funnel,
        funnel_rates=funnel_rates,
        funnel_conversions=funnel_conversions,
        cohorts=_cohorts(connection, period, rates),
        segments=segments,
        sources=_segment_rows(connection, "lead_source", rates),
        durations=_durations(connection),
        published_at=_published_at(connection),
        labels=load_labels(connection),
    )
