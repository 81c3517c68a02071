"""Engagement events, sales activities and opportunities, driven by the contacts' hidden traits.

Each contact has a hidden fit and buying intent. Its share of the events grows with both, its mix
of event types moves from opens and page views toward demos, pricing views and replies as intent
rises, and its events cluster in bursts after an interest moment. Sales reps work the engaged
contacts after that moment, qualify some, and open opportunities for some of those.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration import contract
from orchestration.synthetic import _bad_rows as bad
from orchestration.synthetic import _reference as ref
from orchestration.synthetic import _text as tx
from orchestration.synthetic._accounts import Companies, Contacts, Timeline

N_BURSTS = 4
INTENT_LEVELS = np.array([0.08, 0.15, 0.25, 0.40])  # edges of five intent levels
LOW_FIT = 0.4
EVENT_TYPE = {name: index for index, name in enumerate(contract.EVENT_TYPES)}
# Event types a marketing tool often logs by email address rather than by CRM id.
LOGGED_BY_EMAIL = [
    EVENT_TYPE[name]
    for name in (
        "form_submitted",
        "content_downloaded",
        "webinar_registered",
        "webinar_attended",
        "event_attended",
        "demo_requested",
    )
]


@dataclass(frozen=True)
class Engagement:
    """Per contact row: how many events it gets and when its interest bursts happen."""

    cumulative: np.ndarray  # events of contacts 0..i
    window_start: np.ndarray
    interest: np.ndarray
    bursts: np.ndarray  # (contacts, N_BURSTS) burst centres, the first at the interest moment
    n_bursts: np.ndarray
    mix: np.ndarray  # row of the event-type table each contact draws from


def plan_engagement(
    rng: np.random.Generator, contacts: Contacts, timeline: Timeline, total: int
) -> Engagement:
    n = contacts.fit.size
    fit, intent = contacts.fit, contacts.intent
    engaged = rng.random(n) < np.clip(0.45 + 0.5 * intent + 0.2 * fit, 0, 0.97)
    window_start = contacts.created - 60 * tx.DAY
    active = (timeline.end_ts - window_start) / (730 * tx.DAY)
    weights = engaged * contacts.usable * (0.05 + intent) ** 1.6 * (0.5 + fit) * (0.2 + active)
    if weights.sum() <= 0:
        weights = contacts.usable.astype(np.float64)
    counts = rng.multinomial(total, weights / weights.sum()) if total else np.zeros(n, np.int64)

    span = np.maximum(timeline.end_ts - contacts.created, 0)
    interest = contacts.created + (span * rng.random(n) ** 1.5).astype(np.int64)
    bursts = interest[:, None] + (
        (timeline.end_ts - interest)[:, None] * rng.random((n, N_BURSTS))
    ).astype(np.int64)
    bursts[:, 0] = interest
    n_bursts = 1 + rng.binomial(N_BURSTS - 1, intent)
    level = np.searchsorted(INTENT_LEVELS, intent)
    mix = level * 2 + (fit < LOW_FIT)
    return Engagement(np.cumsum(counts), window_start, interest, bursts, n_bursts, mix)


def _mix_table() -> np.ndarray:
    """Cumulative event-type probabilities, one row per (intent level, low fit)."""
    cold, hot = np.array(ref.EVENT_MIX_COLD), np.array(ref.EVENT_MIX_HOT)
    rows = []
    for level in range(len(INTENT_LEVELS) + 1):
        heat = level / len(INTENT_LEVELS)
        for low_fit in (False, True):
            weights = (1 - heat) * cold + heat * hot
            if low_fit:
                weights[EVENT_TYPE["careers_page_viewed"]] *= ref.CAREERS_BOOST_LOW_FIT
            rows.append(np.cumsum(weights / weights.sum()))
    return np.array(rows)


def _options_by_type(options: dict[str, list[str]]) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    flat: list[str] = []
    offsets, sizes = [], []
    for name in contract.EVENT_TYPES:
        values = options.get(name, [])
        offsets.append(len(flat))
        sizes.append(len(values))
        flat.extend(values)
    return tx.strings(flat), np.array(offsets), np.array(sizes)


def _event_options() -> tuple[tuple[pa.Array, np.ndarray, np.ndarray], ...]:
    site = ref.SITE
    assets = _options_by_type(
        {
            "content_downloaded": list(ref.CONTENT_ASSETS),
            "webinar_registered": list(ref.WEBINAR_ASSETS),
            "webinar_attended": list(ref.WEBINAR_ASSETS),
            "event_attended": list(ref.EVENT_ASSETS),
        }
    )
    urls = _options_by_type(
        {
            "form_submitted": [f"{site}/contact"],
            "content_downloaded": [
                f"{site}/ressources/{tx.slug(a.replace(' ', '-'))}" for a in ref.CONTENT_ASSETS
            ],
            "webinar_registered": [
                f"{site}/webinars/{tx.slug(a.replace(' ', '-'))}" for a in ref.WEBINAR_ASSETS
            ],
            "demo_requested": [f"{site}/demo"],
            "page_viewed": [site + path for path in ref.PAGE_PATHS],
            "pricing_page_viewed": [f"{site}/tarifs"],
            "email_clicked": [f"{site}{path}?utm_medium=email" for path in ref.PAGE_PATHS],
            "careers_page_viewed": [f"{site}/carrieres"],
        }
    )
    return assets, urls


CHANNELS = ("website", "email", "webinar", "linkedin", "event")
TYPE_CHANNEL = np.array([0, 0, 1, 2, 2, 3, 0, 4, 0, 0, 1, 1, 1, 1, 0])
TYPE_CAMPAIGN_SHARE = np.array(
    [0.4, 0.4, 0.95, 0.9, 0.9, 0.5, 0.4, 0.8, 0.1, 0.1, 0.95, 0.95, 0.95, 0.95, 0.0]
)


def event_chunks(
    rng_for_part,
    contacts: Contacts,
    engagement: Engagement,
    timeline: Timeline,
    seed: int,
    total: int,
    chunk_rows: int,
    plan: bad.BadRows,
) -> Iterator[pa.Table]:
    """Events in chunks of `chunk_rows`, each sorted by time; only per-contact state is held."""
    mix_table = _mix_table()
    (assets, asset_offsets, asset_sizes), (urls, url_offsets, url_sizes) = _event_options()
    by_email_share = np.full(len(contract.EVENT_TYPES), 0.04)
    by_email_share[LOGGED_BY_EMAIL] = 0.3
    n_contacts = contacts.fit.size
    contact_width = tx.id_width(n_contacts)
    event_width = tx.id_width(total)
    end = timeline.end_ts
    for part, start in enumerate(range(0, max(total, 1), chunk_rows)):
        stop = min(total, start + chunk_rows)
        m = stop - start
        rng = rng_for_part(part)
        contact = np.searchsorted(engagement.cumulative, np.arange(start, stop), side="right")

        intent = contacts.intent[contact]
        low = engagement.window_start[contact]
        in_burst = rng.random(m) < 0.5 + 0.4 * intent
        burst = np.floor(rng.random(m) * engagement.n_bursts[contact]).astype(np.int64)
        around = engagement.bursts[contact, burst] + (rng.laplace(1.0, 2.0, m) * tx.DAY).astype(
            np.int64
        )
        anywhere = low + ((end - low) * rng.random(m)).astype(np.int64)
        when = np.where(in_burst, around, anywhere)
        when = np.where(when > end, 2 * end - when, when)
        when = np.clip(np.where(when < low, 2 * low - when, when), low, end)
        when = np.minimum(tx.business_time(rng, when // tx.DAY, 0.8), end)

        u = rng.random(m)
        event_type = np.zeros(m, dtype=np.int64)
        mix = engagement.mix[contact]
        for row in np.unique(mix):
            chosen = mix == row
            event_type[chosen] = np.searchsorted(mix_table[row], u[chosen], side="right")
        event_type = np.minimum(event_type, len(contract.EVENT_TYPES) - 1)

        order = np.argsort(when, kind="stable")
        contact, when, event_type = contact[order], when[order], event_type[order]
        email = contacts.email.take(pa.array(contact))
        has_email = pc.is_valid(email).to_numpy(zero_copy_only=False)
        by_email = has_email & (rng.random(m) < by_email_share[event_type])

        local = (plan.rows >= start) & (plan.rows < stop)
        rows, kind = plan.rows[local] - start, plan.kind[local]
        unknown = rows[kind == plan.kinds.index(bad.UNKNOWN_CONTACT_ID)]
        impossible = rows[kind == plan.kinds.index(bad.IMPOSSIBLE_DATE)]
        out_of_range = rows[kind == plan.kinds.index(bad.OUT_OF_RANGE_DATE)]
        by_email[unknown] = False

        contact_id = tx.pick(contacts.ids, contact, by_email)
        unknown_numbers = n_contacts + 1 + rng.integers(0, n_contacts + 1000, unknown.size)
        contact_id = tx.replace_rows(
            contact_id,
            unknown,
            tx.identifiers("CON", seed, unknown_numbers, contact_width).to_pylist(),
        )
        millis = np.where(rng.random(m) < 0.3, rng.integers(0, 1000, m), -1)
        occurred = tx.timestamps(when, rng.choice(3, m, p=[0.55, 0.25, 0.2]), millis)
        occurred = tx.replace_rows(
            occurred, impossible, tx.impossible_dates(rng, impossible.size, timeline.end_date, True)
        )
        occurred = tx.replace_rows(
            occurred,
            out_of_range,
            tx.out_of_range_dates(rng, out_of_range.size, timeline.end_date, True),
        )

        moment = when.astype("datetime64[s]")
        year = moment.astype("datetime64[Y]").astype(np.int64) + 1970
        quarter = moment.astype("datetime64[M]").astype(np.int64) % 12 // 3 + 1
        theme = tx.pick(
            tx.strings(ref.CAMPAIGN_THEMES), rng.integers(0, len(ref.CAMPAIGN_THEMES), m)
        )
        campaign = tx.blank_where(
            tx.concat(tx.integers(year), "-Q", tx.integers(quarter), " ", theme),
            rng.random(m) >= TYPE_CAMPAIGN_SHARE[event_type],
        )
        pick_u = rng.random(m)
        asset_size, url_size = asset_sizes[event_type], url_sizes[event_type]
        asset_index = asset_offsets[event_type] + np.floor(pick_u * np.maximum(asset_size, 1))
        url_index = url_offsets[event_type] + np.floor(pick_u * np.maximum(url_size, 1))
        columns = {
            "event_id": tx.identifiers("EVT", seed, np.arange(start + 1, stop + 1), event_width),
            "event_type": tx.vocabulary(rng, "event_type", event_type, 0.12),
            "occurred_at": occurred,
            "contact_id": contact_id,
            "email": tx.blank_where(email, ~by_email),
            "channel": tx.pick(
                tx.strings(CHANNELS), TYPE_CHANNEL[event_type], rng.random(m) < 0.03
            ),
            "campaign": campaign,
            "asset": tx.pick(assets, asset_index.clip(0, max(len(assets) - 1, 0)), asset_size == 0),
            "url": tx.pick(urls, url_index.clip(0, max(len(urls) - 1, 0)), url_size == 0),
        }
        yield pa.table([columns[c] for c in contract.ENGAGEMENT_EVENTS.column_names],
                       names=list(contract.ENGAGEMENT_EVENTS.column_names))  # fmt: skip
        if stop >= total:
            break


@dataclass(frozen=True)
class Sales:
    activities: pa.Table
    activities_bad: bad.BadRows
    opportunities: pa.Table
    opportunities_bad: bad.BadRows


ACTIVITY_FIRST = [0.45, 0.15, 0.05, 0.05, 0.20, 0.10]
ACTIVITY_LATER = [0.15, 0.30, 0.25, 0.05, 0.15, 0.10]
QUALIFIED, DISQUALIFIED, FOLLOW_UP, NO_OUTCOME = 0, 1, 2, 3
# P(true), P(false) of need_identified, budget_confirmed, decision_capacity by outcome code.
BANT = np.array(
    [
        [[0.97, 0.03], [0.85, 0.10], [0.80, 0.12]],
        [[0.40, 0.50], [0.30, 0.60], [0.40, 0.50]],
        [[0.50, 0.20], [0.25, 0.15], [0.30, 0.10]],
        [[0.10, 0.05], [0.10, 0.05], [0.10, 0.05]],
    ]
)


def _group_starts(keys: np.ndarray) -> np.ndarray:
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))


def make_sales(
    rng: np.random.Generator,
    contacts: Contacts,
    companies: Companies,
    engagement: Engagement,
    timeline: Timeline,
    seed: int,
    bad_share: float,
) -> Sales:
    n = contacts.fit.size
    fit, intent = contacts.fit, contacts.intent
    events = np.diff(np.concatenate([[0], engagement.cumulative]))
    worked = np.clip((intent - 0.12) * 1.6, 0, 0.85) * (0.4 + 0.6 * fit) * (events > 0) + 0.01
    chosen = np.flatnonzero(contacts.usable & (rng.random(n) < worked))
    per_contact = 1 + np.minimum(rng.poisson(1.2, chosen.size), 5)
    contact = np.repeat(chosen, per_contact)
    gaps = (1 + rng.exponential(6.0, contact.size)) * tx.DAY
    first = np.cumsum(per_contact) - per_contact
    elapsed = np.cumsum(gaps)
    elapsed -= np.repeat(elapsed[first] - gaps[first], per_contact)
    when = tx.business_time(
        rng, (engagement.interest[contact] + elapsed).astype(np.int64) // tx.DAY, 1.0
    )
    # Working hours can pull a time back over a weekend: never before the interest moment, and
    # each contact's activities in time order.
    when = np.maximum(when, engagement.interest[contact] + 3600)
    keep = when <= timeline.end_ts
    contact, when = contact[keep], when[keep]
    by_contact_then_time = np.lexsort((when, contact))
    contact, when = contact[by_contact_then_time], when[by_contact_then_time]
    m = contact.size
    position = np.arange(m) - np.repeat(
        _group_starts(contact), np.diff(np.concatenate([_group_starts(contact), [m]]))
    )

    activity = np.where(
        position == 0,
        rng.choice(6, m, p=ACTIVITY_FIRST),
        rng.choice(6, m, p=ACTIVITY_LATER),
    )
    qualifying = activity < 4
    group = _group_starts(contact)
    group_of_row = np.repeat(np.arange(group.size), np.diff(np.concatenate([group, [m]])))
    last_qualifying = (
        np.maximum.reduceat(np.where(qualifying, np.arange(m), -1), group)
        if m
        else np.zeros(0, int)
    )
    group_contact = contact[group]
    p_qualified = np.clip(0.1 + 0.4 * fit[group_contact] + 0.3 * intent[group_contact], 0, 0.85)
    final = np.where(
        rng.random(group.size) < p_qualified,
        QUALIFIED,
        np.where(rng.random(group.size) < 0.65, DISQUALIFIED, FOLLOW_UP),
    )
    is_final = np.arange(m) == last_qualifying[group_of_row]
    outcome = np.where(
        is_final,
        final[group_of_row],
        np.where(rng.random(m) < np.where(qualifying, 0.75, 0.3), FOLLOW_UP, NO_OUTCOME),
    )
    draws = rng.random((m, 3))
    truth = draws < BANT[outcome, :, 0]
    falsity = ~truth & (draws < BANT[outcome, :, 0] + BANT[outcome, :, 1])
    all_true = (outcome == DISQUALIFIED) & truth.all(axis=1)
    truth[all_true, 1], falsity[all_true, 1] = False, True
    reps = rng.integers(0, len(ref.SALES_REPS), n)[contact]
    reps = np.where(rng.random(m) < 0.1, rng.integers(0, len(ref.SALES_REPS), m), reps)

    order = np.argsort(when, kind="stable")
    contact, when, activity, outcome = contact[order], when[order], activity[order], outcome[order]
    truth, falsity, reps = truth[order], falsity[order], reps[order]
    plan = bad.plan(rng, "sales_activities", m, bad_share)
    unknown = plan.rows_of(bad.UNKNOWN_CONTACT_ID)
    impossible = plan.rows_of(bad.IMPOSSIBLE_DATE)
    out_of_range = plan.rows_of(bad.OUT_OF_RANGE_DATE)
    contact_width = tx.id_width(n)
    contact_id = tx.replace_rows(
        tx.pick(contacts.ids, contact),
        unknown,
        tx.identifiers(
            "CON", seed, n + 1 + rng.integers(0, n + 1000, unknown.size), contact_width
        ).to_pylist(),
    )
    occurred = tx.timestamps(when, rng.choice(3, m, p=[0.7, 0.2, 0.1]))
    occurred = tx.replace_rows(
        occurred, impossible, tx.impossible_dates(rng, impossible.size, timeline.end_date, True)
    )
    occurred = tx.replace_rows(
        occurred,
        out_of_range,
        tx.out_of_range_dates(rng, out_of_range.size, timeline.end_date, True),
    )
    flags = {
        name: tx.booleans(rng, truth[:, i], 0.15, ~truth[:, i] & ~falsity[:, i])
        for i, name in enumerate(("need_identified", "budget_confirmed", "decision_capacity"))
    }
    disqualified = outcome == DISQUALIFIED
    columns = {
        "activity_id": tx.identifiers("ACT", seed, np.arange(1, m + 1), tx.id_width(m)),
        "contact_id": contact_id,
        "activity_type": tx.vocabulary(rng, "activity_type", activity, 0.15),
        "occurred_at": occurred,
        "outcome": tx.vocabulary(
            rng, "outcome", np.minimum(outcome, 2), 0.15, outcome == NO_OUTCOME
        ),
        **flags,
        "disqualification_reason": tx.pick(
            tx.strings(ref.DISQUALIFICATION_REASONS),
            rng.integers(0, len(ref.DISQUALIFICATION_REASONS), m),
            ~disqualified | (rng.random(m) < 0.1),
        ),
        "owner": tx.pick(tx.strings(ref.SALES_REPS), reps),
    }
    activities = pa.table([columns[c] for c in contract.SALES_ACTIVITIES.column_names],
                          names=list(contract.SALES_ACTIVITIES.column_names))  # fmt: skip

    # Opportunities follow a clean qualifying activity.
    clean = ~plan.mask(m)
    qualified_rows = np.flatnonzero((outcome == QUALIFIED) & clean)
    qualified_rows = qualified_rows[rng.random(qualified_rows.size) < 0.65]
    opportunities, opportunities_bad = _opportunities(
        rng,
        contacts,
        companies,
        timeline,
        seed,
        bad_share,
        contact[qualified_rows],
        when[qualified_rows],
    )
    return Sales(activities, plan, opportunities, opportunities_bad)


def _opportunities(
    rng: np.random.Generator,
    contacts: Contacts,
    companies: Companies,
    timeline: Timeline,
    seed: int,
    bad_share: float,
    contact: np.ndarray,
    qualified_at: np.ndarray,
) -> tuple[pa.Table, bad.BadRows]:
    end = timeline.end_ts
    created = qualified_at + ((1 + rng.exponential(7.0, contact.size)) * tx.DAY).astype(np.int64)
    created = np.maximum(tx.business_time(rng, created // tx.DAY, 1.0), qualified_at + 3600)
    keep = created <= end
    contact, created = contact[keep], created[keep]
    order = np.argsort(created, kind="stable")
    contact, created = contact[order], created[order]
    m = contact.size
    fit, intent = contacts.fit[contact], contacts.intent[contact]
    company = contacts.company[contact]

    age_days = (end - created) / tx.DAY
    closed = rng.random(m) < np.clip(age_days / 150, 0, 0.9)
    closed_at = created + (np.minimum(age_days, 180) * rng.uniform(0.2, 1.0, m) * tx.DAY).astype(
        np.int64
    )
    closed_at = np.minimum(tx.business_time(rng, closed_at // tx.DAY, 1.0), end)
    closed_at = np.maximum(closed_at, created + 3600)
    won = closed & (rng.random(m) < np.clip(0.05 + 0.3 * fit + 0.15 * intent, 0, 0.6))
    open_stage = np.where(age_days < 20, 0, rng.integers(1, 3, m))
    stages = (*ref.OPEN_STAGES, "closed_won", "closed_lost")
    stage = np.where(closed, np.where(won, 3, 4), open_stage)
    employees = companies.employees[company]
    amount = (
        np.round(np.exp(rng.normal(np.log(20_000) + 0.3 * np.log(employees / 50), 0.8, m)) / 100)
        * 100
    )
    amount = np.maximum(amount, 1000)

    no_contact = rng.random(m) < 0.05
    no_company = ~no_contact & (rng.random(m) < 0.10)
    plan = bad.plan(rng, "opportunities", m, bad_share)
    style = rng.choice(3, m, p=[0.7, 0.2, 0.1])
    created_text = tx.timestamps(created, style)
    impossible = plan.rows_of(bad.IMPOSSIBLE_DATE)
    out_of_range = plan.rows_of(bad.OUT_OF_RANGE_DATE)
    created_text = tx.replace_rows(
        created_text, impossible, tx.impossible_dates(rng, impossible.size, timeline.end_date, True)
    )
    created_text = tx.replace_rows(
        created_text,
        out_of_range,
        tx.out_of_range_dates(rng, out_of_range.size, timeline.end_date, True),
    )
    n_companies = companies.employees.size
    company_ids = tx.identifiers(
        "ACC", seed, np.arange(1, n_companies + 1), tx.id_width(n_companies)
    )
    columns = {
        "opportunity_id": tx.identifiers("OPP", seed, np.arange(1, m + 1), tx.id_width(m)),
        "contact_id": tx.pick(contacts.ids, contact, no_contact),
        "company_id": tx.pick(company_ids, company, no_company),
        "created_at": created_text,
        "stage": tx.pick(tx.strings(stages), stage),
        "amount_eur": tx.decimals(amount, blank=rng.random(m) < 0.05),
        "closed_at": tx.timestamps(closed_at, style, blank=~closed),
        "is_won": tx.booleans(rng, won, 0.1, ~closed),
    }
    table = pa.table([columns[c] for c in contract.OPPORTUNITIES.column_names],
                     names=list(contract.OPPORTUNITIES.column_names))  # fmt: skip
    return table, plan
