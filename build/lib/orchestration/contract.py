"""The landing contract (SPEC, "Inputs"): entities, columns and the type each column parses to.

One place for it, because the generator writes it, the loader enforces it and the tests check both
against it. Column order is the order the generator writes and the raw tables keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["string", "integer", "decimal", "boolean", "date", "timestamp"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind = "string"


@dataclass(frozen=True)
class Entity:
    """A landing entity: one folder under `landing/`, one raw table."""

    name: str
    key: str
    columns: tuple[Column, ...]
    required: tuple[str, ...]
    # Groups of columns of which at least one must be present (in the header) and filled (per row).
    required_one_of: tuple[tuple[str, ...], ...] = ()
    is_optional: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def kind_of(self, column_name: str) -> ColumnKind:
        for column in self.columns:
            if column.name == column_name:
                return column.kind
        return "string"


def _columns(spec: str) -> tuple[Column, ...]:
    """Parse 'name:kind name ...' (kind defaults to string) into columns."""
    columns = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        columns.append(Column(name, kind or "string"))  # type: ignore[arg-type]
    return tuple(columns)


COMPANIES = Entity(
    name="companies",
    key="company_id",
    columns=_columns(
        "company_id name domain industry employee_count:integer annual_revenue_eur:decimal"
        " country region city founded_year:integer open_jobs:integer last_funding_date:date"
        " last_funding_amount_eur:decimal headcount_growth_pct:decimal updated_at:timestamp"
    ),
    required=("company_id",),
)

CONTACTS = Entity(
    name="contacts",
    key="contact_id",
    columns=_columns(
        "contact_id first_name last_name email phone job_title seniority department linkedin_url"
        " company_id company_domain country lead_source opted_out:boolean created_at:timestamp"
        " updated_at:timestamp"
    ),
    required=("contact_id",),
    required_one_of=(("email", "company_id"),),
)

ENGAGEMENT_EVENTS = Entity(
    name="engagement_events",
    key="event_id",
    columns=_columns(
        "event_id event_type occurred_at:timestamp contact_id email channel campaign asset url"
    ),
    required=("event_id", "event_type", "occurred_at"),
    required_one_of=(("contact_id", "email"),),
)

SALES_ACTIVITIES = Entity(
    name="sales_activities",
    key="activity_id",
    columns=_columns(
        "activity_id contact_id activity_type occurred_at:timestamp outcome"
        " need_identified:boolean budget_confirmed:boolean decision_capacity:boolean"
        " disqualification_reason owner"
    ),
    required=("activity_id", "contact_id", "activity_type", "occurred_at"),
)

OPPORTUNITIES = Entity(
    name="opportunities",
    key="opportunity_id",
    columns=_columns(
        "opportunity_id contact_id company_id created_at:timestamp stage amount_eur:decimal"
        " closed_at:timestamp is_won:boolean"
    ),
    required=("opportunity_id", "created_at"),
    required_one_of=(("contact_id", "company_id"),),
    is_optional=True,
)

ENTITIES: dict[str, Entity] = {
    entity.name: entity
    for entity in (COMPANIES, CONTACTS, ENGAGEMENT_EVENTS, SALES_ACTIVITIES, OPPORTUNITIES)
}

# Canonical vocabularies (SPEC, "Vocabulary"). Synonyms that real exports use map to these through
# the `vocabulary_synonyms` seed; an unknown value is kept and reported, never dropped.
EVENT_TYPES = (
    "form_submitted",
    "content_downloaded",
    "email_replied",
    "webinar_registered",
    "webinar_attended",
    "linkedin_interaction",
    "demo_requested",
    "event_attended",
    "page_viewed",
    "pricing_page_viewed",
    "email_opened",
    "email_clicked",
    "unsubscribed",
    "email_bounced",
    "careers_page_viewed",
)
ACTIVITY_TYPES = ("qualification_call", "meeting", "demo", "webinar_exchange", "email", "other")
OUTCOMES = ("qualified", "disqualified", "follow_up")
SENIORITIES = (
    "c_level",
    "vp",
    "director",
    "manager",
    "individual_contributor",
    "intern",
    "unknown",
)
DEPARTMENTS = (
    "executive",
    "sales",
    "marketing",
    "it",
    "engineering",
    "finance",
    "hr",
    "operations",
    "legal",
    "purchasing",
    "other",
)
