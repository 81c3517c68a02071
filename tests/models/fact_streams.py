"""Random small fact streams, and the funnel marts dbt builds from one, for the property tests.

A fact stream is what the landing folder would hold for a handful of companies and a few dozen
contacts: each contact with its own random engagement events, sales activities and
opportunities. Facts happen at whole days drawn from a small set, so several facts of one
contact often share an instant: that is where the funnel's answers must not depend on the
order ids happen to sort in. `MartsBuilder` writes a stream into landing files (the contract's
columns, one CSV per entity), loads them with the real loader and builds the public tables with
dbt, then reads them back.
"""

from __future__ import annotations

import csv
import os
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import duckdb
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner
from hypothesis import strategies as st

from orchestration.contract import ENTITIES
from orchestration.loading import load_entity
from orchestration.settings import PROJECT_DIR
from orchestration.vocabulary import funnel_stages

# Facts happen on whole days from FIRST_DAY on; the funnel is computed as of AS_OF, well after
# every fact a strategy here draws, so nothing is cut off by the as-of day.
FIRST_DAY = date(2025, 1, 1)
SPAN_DAYS = 180
AS_OF = date(2025, 12, 31)

# The public tables the properties read, and the selector that builds exactly them (and their
# parents, seeds included): a full `dbt build` would also run every data test, far slower.
MART_SELECTOR = (
    "+dim_contacts +dim_companies +fct_funnel_transitions +fct_funnel_daily"
    " +fct_contact_score_components"
)
# Bookkeeping columns: when the build that computed a row started, which differs between two
# builds of the same facts by design.
BOOKKEEPING_COLUMNS = frozenset({"built_at"})
STAGES = funnel_stages()

# --- Facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Company:
    company_id: str
    name: str
    domain: str
    industry: str
    employee_count: int
    country: str
    last_funding_date: date | None = None


@dataclass(frozen=True)
class Contact:
    contact_id: str
    email: str | None
    company_id: str | None
    seniority: str | None
    department: str | None
    lead_source: str | None
    created_at: datetime | None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    event_id: str
    contact_id: str | None
    event_type: str
    occurred_at: datetime
    email: str | None = None


@dataclass(frozen=True)
class Activity:
    activity_id: str
    contact_id: str
    activity_type: str
    occurred_at: datetime
    outcome: str | None
    need_identified: bool
    budget_confirmed: bool
    decision_capacity: bool
    disqualification_reason: str | None = None


@dataclass(frozen=True)
class Opportunity:
    opportunity_id: str
    contact_id: str | None
    company_id: str | None
    created_at: datetime
    closed_at: datetime | None
    is_won: bool | None


# Three company profiles. With the default seeds a contact of a TARGET company is in the ICP
# whatever its persona (the company alone earns the 50 points grade B needs); one of the MIDDLE
# company (30 points) only with 20 persona points (a c_level, vp or manager in marketing or
# sales); one of the OUT company (4 points), or with no company, never is.
COMPANIES = (
    Company("K-TARGET-1", "Logiciels Un", "target-one.test", "software publishing", 100, "FR"),
    Company("K-TARGET-2", "Logiciels Deux", "target-two.test", "software publishing", 120, "FR"),
    Company("K-MIDDLE-1", "Services Trois", "middle-three.test", "it services", 30, "DE"),
    Company("K-OUT-1", "Boutique Quatre", "out-four.test", "retail", 3, "US"),
)
SENIORITIES = ("c_level", "vp", "manager", "intern", None)
DEPARTMENTS = ("marketing", "sales", "hr", None)
LEAD_SOURCES = ("website", "outbound", "webinar", None)
# Interest signals, high intent, plain engagement and negative points all mixed, so that the
# score crosses thresholds up and down within one instant depending on the order of the events.
EVENT_TYPES = (
    "form_submitted",
    "content_downloaded",
    "email_replied",
    "webinar_attended",
    "demo_requested",
    "page_viewed",
    "pricing_page_viewed",
    "email_clicked",
    "unsubscribed",
    "email_bounced",
)
ACTIVITY_TYPES = ("qualification_call", "meeting", "demo", "email")
OUTCOMES = ("qualified", "disqualified", "follow_up", None)

# The stream's field holding each landing entity whose name differs.
FIELD_OF_ENTITY = {"engagement_events": "events", "sales_activities": "activities"}
FactT = TypeVar("FactT", Event, Activity, Opportunity)


@dataclass(frozen=True)
class FactStream:
    """Everything the landing folder holds: companies, contacts and their dated facts."""

    companies: tuple[Company, ...] = COMPANIES
    contacts: tuple[Contact, ...] = ()
    events: tuple[Event, ...] = ()
    activities: tuple[Activity, ...] = ()
    opportunities: tuple[Opportunity, ...] = ()

    def rows(self, entity: str) -> list[dict[str, Any]]:
        """The rows of a landing entity, as column -> value."""
        facts: Sequence[Any] = getattr(self, FIELD_OF_ENTITY.get(entity, entity))
        return [{f.name: getattr(fact, f.name) for f in fields(fact)} for fact in facts]

    def plus(self, other: FactStream) -> FactStream:
        """This stream with the contacts and facts of `other` added (its companies are ours)."""
        return replace(
            self,
            contacts=self.contacts + other.contacts,
            events=self.events + other.events,
            activities=self.activities + other.activities,
            opportunities=self.opportunities + other.opportunities,
        )

    def with_ids_permuted_at_ties(self) -> FactStream:
        """The same facts, with the ids of facts that share a contact and an instant reversed.

        Reversal is the largest change of order a group of tied facts can get, and it leaves a
        fact without a tie as it was: the facts themselves are unchanged, only which id each
        carries, so the ids sort in the opposite order within every tie.
        """
        return replace(
            self,
            events=_reverse_ids_at_ties(
                self.events, "event_id", lambda e: (e.contact_id, e.occurred_at)
            ),
            activities=_reverse_ids_at_ties(
                self.activities, "activity_id", lambda a: (a.contact_id, a.occurred_at)
            ),
            opportunities=_reverse_ids_at_ties(
                self.opportunities,
                "opportunity_id",
                lambda o: (o.contact_id, o.company_id, o.created_at),
            ),
        )

    def tied_fact_count(self) -> int:
        """Facts that share their contact and instant with another fact of the same kind."""
        keys = [(e.contact_id, e.occurred_at) for e in self.events]
        keys += [("activity", a.contact_id, a.occurred_at) for a in self.activities]
        return sum(n for n in Counter(keys).values() if n > 1)

    def minus(self, other: FactStream) -> FactStream:
        """The contacts and facts of this stream that `other` does not hold: a later delivery."""

        def new(name: str) -> tuple[Any, ...]:
            held = set(getattr(other, name))
            return tuple(x for x in getattr(self, name) if x not in held)

        return replace(
            self,
            companies=new("companies"),
            contacts=new("contacts"),
            events=new("events"),
            activities=new("activities"),
            opportunities=new("opportunities"),
        )

    def write_landing(self, landing_dir: Path, delivery: str = "") -> None:
        """One CSV per entity, with the contract's columns (named after `delivery` when given).

        A column no row fills is left out of the header, as real exports drop empty columns
        (unless the contract requires it in the header): the loader and the models must cope
        with that as well as with blank cells.
        """
        for entity, spec in ENTITIES.items():
            rows = self.rows(entity)
            if delivery and not rows:
                continue
            wanted = {*spec.required, *(name for group in spec.required_one_of for name in group)}
            columns = [
                name
                for name in spec.column_names
                if name in wanted or any(row.get(name) is not None for row in rows)
            ]
            folder = landing_dir / entity
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{entity}-{delivery}.csv" if delivery else f"{entity}.csv"
            with (folder / name).open("w", newline="", encoding="utf-8") as file:
                writer = csv.writer(file)
                writer.writerow(columns)
                writer.writerows([_cell(row.get(name)) for name in columns] for row in rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _reverse_ids_at_ties(
    facts: Sequence[FactT], id_field: str, tie_key: Callable[[FactT], Any]
) -> tuple[FactT, ...]:
    groups: dict[Any, list[int]] = defaultdict(list)
    for position, fact in enumerate(facts):
        groups[tie_key(fact)].append(position)
    permuted = list(facts)
    for positions in groups.values():
        in_id_order = sorted(positions, key=lambda p: getattr(facts[p], id_field))
        ids = [getattr(facts[p], id_field) for p in in_id_order]
        for position, new_id in zip(in_id_order, reversed(ids), strict=True):
            permuted[position] = replace(facts[position], **{id_field: new_id})
    return tuple(permuted)


def day(offset: int) -> datetime:
    """Midnight UTC of the day `offset` days after FIRST_DAY (a whole-day instant)."""
    return datetime.combine(FIRST_DAY + timedelta(days=offset), datetime.min.time())


# --- Strategies -------------------------------------------------------------------------------


@dataclass
class _Ids:
    """Sequential, zero-padded ids (so that string order is creation order), per kind."""

    prefix: str
    counters: Counter[str] = field(default_factory=Counter)

    def next(self, kind: str) -> str:
        self.counters[kind] += 1
        return f"{self.prefix}{kind}{self.counters[kind]:04d}"


@st.composite
def _contact_facts(
    draw: st.DrawFn,
    ids: _Ids,
    contact_id: str,
    company_id: str | None,
    instants: Sequence[datetime],
) -> FactStream:
    """One contact's random events, sales activities and opportunities, at `instants`."""
    at = st.sampled_from(instants)
    events = tuple(
        Event(ids.next("E"), contact_id, event_type, draw(at))
        for event_type in draw(st.lists(st.sampled_from(EVENT_TYPES), max_size=7))
    )
    activities = []
    checks = st.sampled_from([True, True, False])  # so that about a third qualify an SQL
    for _ in range(draw(st.integers(0, 2))):
        outcome = draw(st.sampled_from(OUTCOMES))
        activities.append(
            Activity(
                ids.next("A"),
                contact_id,
                draw(st.sampled_from(ACTIVITY_TYPES)),
                draw(at),
                outcome,
                draw(checks),
                draw(checks),
                draw(checks),
                "no budget" if outcome == "disqualified" else None,
            )
        )
    opportunities = []
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        created_at = draw(at)
        closed_at = draw(st.none() | st.sampled_from([i for i in instants if i >= created_at]))
        # an opportunity naming only the company counts for the company's SQL contacts
        company_only = company_id is not None and draw(st.booleans())
        opportunities.append(
            Opportunity(
                ids.next("O"),
                None if company_only else contact_id,
                company_id if company_only or draw(st.booleans()) else None,
                created_at,
                closed_at,
                draw(st.booleans()) if closed_at is not None else None,
            )
        )
    return FactStream(
        companies=(),
        events=events,
        activities=tuple(activities),
        opportunities=tuple(opportunities),
    )


@st.composite
def _contact_with_facts(
    draw: st.DrawFn,
    ids: _Ids,
    instants: Sequence[datetime],
    created_at: st.SearchStrategy[datetime | None],
) -> FactStream:
    """A new contact, of a random company (or none) and persona, with its random facts."""
    contact_id = ids.next("C")
    company = draw(st.sampled_from([*COMPANIES, None]))
    company_id = None
    if company is not None and draw(st.sampled_from([True, True, False])):
        company_id = company.company_id  # else matched through the email's domain
    email: str | None = f"{contact_id.lower()}@{company.domain if company else 'mail.example'}"
    if company_id is not None and draw(st.sampled_from([False, False, False, True])):
        email = None  # allowed: the contract wants an email or a company_id
    contact = Contact(
        contact_id,
        email,
        company_id,
        draw(st.sampled_from(SENIORITIES)),
        draw(st.sampled_from(DEPARTMENTS)),
        draw(st.sampled_from(LEAD_SOURCES)),
        draw(created_at),
    )
    facts = draw(_contact_facts(ids, contact_id, company_id, instants))
    return replace(facts, contacts=(contact,))


@st.composite
def fact_streams(draw: st.DrawFn, min_contacts: int = 20, max_contacts: int = 40) -> FactStream:
    """The four companies, and contacts with their facts, on a few whole days.

    Between 3 and 6 distinct days carry every fact of the stream, so ties at one instant are
    the rule. Some contacts lack created_at, an email (when they have a company_id), a persona
    or a lead source. Emails are unique per contact, so one contact record is one person.
    """
    offsets = draw(st.lists(st.integers(0, SPAN_DAYS), min_size=3, max_size=6, unique=True))
    instants = [day(offset) for offset in sorted(offsets)]
    ids = _Ids("")
    stream = FactStream()
    created_at = st.none() | st.sampled_from(instants)
    for _ in range(draw(st.integers(min_contacts, max_contacts))):
        stream = stream.plus(draw(_contact_with_facts(ids, instants, created_at)))
    return stream


@dataclass(frozen=True)
class Extension:
    """A base stream, a day D, and the base with more facts, all dated after D."""

    base: FactStream
    cutoff_day: date
    extended: FactStream

    @property
    def end_of_cutoff_day(self) -> datetime:
        """The first instant after D: facts before it are the state as of D."""
        return datetime.combine(self.cutoff_day + timedelta(days=1), datetime.min.time())


@st.composite
def extensions(draw: st.DrawFn) -> Extension:
    """A base stream and the same with extra facts dated after a day D of the base.

    D is a day the base has facts on, so facts at the very start of D (which count for D) sit
    right next to the cut. The extra facts are events, activities and opportunities of existing
    contacts, and up to three contact records created after D with facts of their own; they
    fall on days after D, some of them days the base already has facts on (ties with base
    facts). A person may have engaged before its record was created (web tracking, a reply to
    a campaign): such events, dated up to D, are in the base already, naming a contact id the
    base does not know yet.
    """
    base = draw(fact_streams())
    fact_days = sorted(
        {e.occurred_at for e in base.events}
        | {a.occurred_at for a in base.activities}
        | {o.created_at for o in base.opportunities}
    )
    cutoff = draw(st.sampled_from(fact_days or [day(SPAN_DAYS // 2)]))
    first_after = (cutoff - day(0)).days + 1
    new_offsets = draw(
        st.lists(st.integers(first_after, first_after + 60), min_size=1, max_size=3, unique=True)
    )
    instants = sorted({d for d in fact_days if d > cutoff} | {day(o) for o in new_offsets})
    ids = _Ids("X")  # ids of the extra facts: unique, and after every base id in string order
    extra = FactStream(companies=())
    half = len(base.contacts) // 2  # many contacts get later facts: more ways to rewrite history
    for contact in draw(st.lists(st.sampled_from(base.contacts), min_size=half, max_size=2 * half)):
        extra = extra.plus(
            draw(_contact_facts(ids, contact.contact_id, contact.company_id, instants))
        )
    early_events: list[Event] = []
    for _ in range(draw(st.integers(0, 3))):
        newcomer = draw(_contact_with_facts(ids, instants, st.sampled_from(instants)))
        extra = extra.plus(newcomer)
        before_d = st.sampled_from([d for d in fact_days if d <= cutoff] or [cutoff])
        early_events += [
            Event(ids.next("E"), newcomer.contacts[0].contact_id, event_type, draw(before_d))
            for event_type in draw(st.lists(st.sampled_from(EVENT_TYPES), max_size=3))
        ]
    base = replace(base, events=base.events + tuple(early_events))
    return Extension(base, cutoff.date(), base.plus(extra))


# --- Building the marts -------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Rows of a table read back as tuples, with the column names, compared as a multiset."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def where(self, keep: Callable[[dict[str, Any]], bool]) -> Table:
        return Table(self.columns, tuple(r for r in self.rows if keep(self.as_dict(r))))

    def select(self, *columns: str) -> Table:
        index = [self.columns.index(c) for c in columns]
        return Table(columns, tuple(tuple(r[i] for i in index) for r in self.rows))

    def as_dict(self, row: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(self.columns, row, strict=True))

    def dicts(self) -> list[dict[str, Any]]:
        return [self.as_dict(r) for r in self.rows]

    def counter(self) -> Counter[tuple[Any, ...]]:
        return Counter(self.rows)


def differences(left: Table, right: Table, key: str | None = None, limit: int = 8) -> str:
    """What differs between two tables, for an assertion message.

    With a key column, rows of one key on both sides are shown as the columns that changed
    ("C0001: lead_quality 'qualified' -> 'unqualified'"); other rows are listed whole.
    """
    only_left = left.counter() - right.counter()
    only_right = right.counter() - left.counter()
    lines = []
    if key is not None:
        at = left.columns.index(key)
        by_key_left = {row[at]: row for row in only_left}
        by_key_right = {row[at]: row for row in only_right}
        for value in sorted(by_key_left.keys() & by_key_right.keys(), key=repr)[:limit]:
            pairs = zip(left.columns, by_key_left[value], by_key_right[value], strict=True)
            changes = [f"{c} {a!r} -> {b!r}" for c, a, b in pairs if a != b]
            lines.append(f"  {value}: {'; '.join(changes)}")
        both = by_key_left.keys() & by_key_right.keys()
        only_left -= Counter(by_key_left[v] for v in both)
        only_right -= Counter(by_key_right[v] for v in both)
    if only_left or only_right:
        lines.append(f"  whole rows, columns {left.columns}:")
    lines += [f"  only left:  {row}" for row in sorted(only_left.elements(), key=repr)[:limit]]
    lines += [f"  only right: {row}" for row in sorted(only_right.elements(), key=repr)[:limit]]
    total_left = (left.counter() - right.counter()).total()
    total_right = (right.counter() - left.counter()).total()
    lines.append(f"({total_left} rows only left, {total_right} only right)")
    return "\n".join(lines)


@dataclass(frozen=True)
class Marts:
    """The public tables a build made from one stream."""

    dim_contacts: Table
    dim_companies: Table
    transitions: Table
    daily: Table
    events: Table
    score_components: Table


class MartsBuilder:
    """Builds the funnel marts of a fact stream with the real loader and dbt.

    dbt runs in this process (dbt's programmatic invocation) on the project parsed once: a
    build is then the models' SQL on the warehouse, without a new interpreter and a parse each
    time (about 3 s of 6). The as-of day is passed in `FUNNEL_AS_OF`, as `funnel run` does.
    Builds are remembered per (stream, as_of): a stream seen again (the first, emptiest example
    is often the same for every property, and hypothesis replays a failing example) is not
    built twice.
    """

    def __init__(self, root: Path) -> None:
        self.home = root / "funnel_home"
        self.target = root / "dbt_target"
        self._cache: dict[tuple[FactStream, date], Marts] = {}
        self._manifest: Any = None

    def build(self, stream: FactStream, as_of: date = AS_OF) -> Marts:
        key = (stream, as_of)
        if key not in self._cache:
            self._cache[key] = self._build(stream, as_of)
        return self._cache[key]

    def build_incrementally(
        self, first: FactStream, first_as_of: date, then: FactStream, then_as_of: date
    ) -> Marts:
        """Build `first` as of a day, then deliver what `then` adds to it and build again as of
        another day: the second build is incremental (macros/incremental.sql)."""
        shutil.rmtree(self.home, ignore_errors=True)
        self._deliver(first, "")
        self._build_marts(first_as_of)
        self._deliver(then.minus(first), "later")
        return self._build_marts(then_as_of)

    def build_in_deliveries(self, *deliveries: tuple[FactStream, date, tuple[str, ...]]) -> Marts:
        """Build each stream in turn as of its day with the given dbt options (the first in
        full, each later one incrementally, on what it adds to the one before)."""
        shutil.rmtree(self.home, ignore_errors=True)
        delivered = FactStream(companies=())
        marts = None
        for number, (stream, as_of, options) in enumerate(deliveries):
            self._deliver(stream.minus(delivered), f"delivery-{number}" if number else "")
            delivered = stream
            marts = self._build_marts(as_of, *options)
        assert marts is not None
        return marts

    def read(self, table: str) -> Table:
        """A table of the warehouse the latest build left."""
        with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as connection:
            return _read(connection, table)

    def _build(self, stream: FactStream, as_of: date) -> Marts:
        shutil.rmtree(self.home, ignore_errors=True)
        self._deliver(stream, "")
        return self._build_marts(as_of)

    def _deliver(self, stream: FactStream, delivery: str) -> None:
        landing = self.home / "landing"
        stream.write_landing(landing, delivery)
        for entity in ENTITIES:
            result = load_entity(self.home / "warehouse.duckdb", landing, entity)
            rejected = [f.reason for f in result.files if f.status != "loaded"]
            assert not rejected and not result.rows_quarantined, (entity, rejected)

    def _build_marts(self, as_of: date, *options: str) -> Marts:
        warehouse = self.home / "warehouse.duckdb"
        self._dbt(
            "build",
            "--select",
            MART_SELECTOR,
            "--exclude-resource-type",
            "test",
            "unit_test",
            *options,
            as_of=as_of,
        )
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            return Marts(
                dim_contacts=_read(connection, "marts.dim_contacts"),
                dim_companies=_read(connection, "marts.dim_companies"),
                transitions=_read(connection, "marts.fct_funnel_transitions"),
                daily=_read(connection, "marts.fct_funnel_daily"),
                events=_read(connection, "marts.fct_engagement_events"),
                score_components=_read(connection, "marts.fct_contact_score_components"),
            )

    def _dbt(self, *args: str, as_of: date) -> None:
        options = ["--quiet", "--profiles-dir", str(PROJECT_DIR), "--target-path", str(self.target)]
        options += ["--log-path", str(self.target / "logs"), "--project-dir", str(PROJECT_DIR)]
        variables = {"FUNNEL_HOME": str(self.home), "FUNNEL_AS_OF": as_of.isoformat()}
        # set in this process's environment, where dbt reads them, for this command only
        with mock.patch.dict(os.environ, variables):
            if self._manifest is None:
                parsed = dbtRunner().invoke(["parse", *options])
                assert parsed.success, f"dbt parse failed: {parsed.exception}"
                self._manifest = parsed.result
            try:
                ran = dbtRunner(manifest=self._manifest).invoke([*args, *options])
            finally:
                _close_dbt_warehouse()
        failures = [
            f"{result.node.name}: {result.message}"
            for result in getattr(ran.result, "results", [])
            if result.status in ("error", "fail")
        ]
        assert ran.success, f"dbt {args[0]} failed: {ran.exception or failures}"


def _close_dbt_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB database open in the process after a command (a class
    attribute of dbt-duckdb 1.11's connection manager): close it, so that the marts can be read
    and the warehouse removed before the next build."""
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
        DuckDBConnectionManager._ENV = None


def _read(connection: duckdb.DuckDBPyConnection, table: str) -> Table:
    """Every row of a table but its bookkeeping columns; floats rounded to 6 decimals, since the
    last bits of a sum depend on the order DuckDB adds its terms in, which no property is about."""
    described = connection.execute(f"describe {table}").fetchall()
    kept = ", ".join(f'"{name}"' for name, *_ in described if name not in BOOKKEEPING_COLUMNS)
    cursor = connection.execute(f"select {kept} from {table}")
    columns = tuple(d[0] for d in cursor.description)
    rows = tuple(
        tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in cursor.fetchall()
    )
    return Table(columns, rows)
