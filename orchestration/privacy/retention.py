"""Retention: the contacts whose personal data is kept past the policy's period, and their erasure.

The period is the dbt var `retention_months` (36 by default) after a contact's last interaction
*from* it, or after it was first known when it never interacted (`dim_contacts.retention_ends_at`,
computed by `int_contacts_retention_dated`). The list is read from the last build: `funnel run`
counts the contacts past it, `funnel retention --dry-run` lists them and why, `--apply` (or
`funnel run --apply-retention`) erases them all in one erasure (`erasure.py`), as `funnel forget`
erases one person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from orchestration.loading.tables import column_exists
from orchestration.privacy.erasure import ErasureResult, carry_out, plan_erasure, save_request
from orchestration.settings import FunnelPaths

# The model's rule (ended before the end of the as-of day) read from the public columns: a home
# whose models run on Spark holds only the public tables.
PAST_RETENTION = """
    select contact_id, email, funnel_stage, identified_at, last_interaction_at, retention_ends_at
    from marts.dim_contacts
    where retention_ends_at < cast(as_of_date as timestamp) + interval 1 day
    order by retention_ends_at, contact_id
"""


@dataclass(frozen=True)
class PastRetention:
    """A contact whose retention period ended by the as-of day of the last build."""

    contact_id: str
    email: str | None
    funnel_stage: str
    identified_at: datetime | None
    last_interaction_at: datetime | None
    retention_ends_at: datetime

    @property
    def why(self) -> str:
        if self.last_interaction_at is None:
            return f"never interacted; first known {self.identified_at:%Y-%m-%d}"
        return f"last interaction from them {self.last_interaction_at:%Y-%m-%d}"


@dataclass(frozen=True)
class RetentionReview:
    """The contacts past retention as of the last build's day (None: nothing built yet)."""

    as_of: date | None
    contacts: list[PastRetention]


def review(connection: duckdb.DuckDBPyConnection) -> RetentionReview:
    """The contacts past retention in the warehouse `connection` is open on."""
    if not column_exists(connection, "marts.dim_contacts", "retention_ends_at"):
        return RetentionReview(None, [])
    rows = connection.execute(PAST_RETENTION).fetchall()
    as_of = connection.execute("select max(as_of_date) from marts.dim_contacts").fetchone()[0]
    return RetentionReview(as_of, [PastRetention(*row) for row in rows])


def review_home(paths: FunnelPaths) -> RetentionReview:
    if not paths.warehouse.exists():
        return RetentionReview(None, [])
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        return review(connection)


def apply_retention(paths: FunnelPaths) -> tuple[RetentionReview, ErasureResult | None]:
    """Erase every contact past retention, in one erasure. Call with the home's lock held."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        found = review(connection)
        if not found.contacts:
            return found, None
        request = plan_erasure(connection, contact_ids=[c.contact_id for c in found.contacts])
    if request is None:  # the build lists them, the rows are gone: erased meanwhile
        return found, None
    save_request(paths, request)
    return found, carry_out(paths, request)
