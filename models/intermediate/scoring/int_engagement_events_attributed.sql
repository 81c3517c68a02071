{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='replace_contacts',
        meta={'materialized_because': (
            'incremental by contact: a run recomputes only the contacts whose inputs changed'
            ' (macros/incremental.sql)'
        )},
    )
}}
-- depends_on: {{ ref('int_contact_changes') }}

-- One row per accepted engagement event: an event dated from the date floor (var
-- `earliest_plausible_date`) on whose contact is known (by
-- source contact id, re-pointed to the surviving contact; else, when the event has no contact id
-- or one that names no contact record, by email: the contact's email of the as-of day or one it
-- had before, `int_contact_emails_mapped`), with the points its type earns (seed
-- `engagement_event_points`; an unknown type earns none). Events beyond a type's `max_per_period`
-- in one period (var `engagement_cap_period`) earn none either.
--
-- Events dated after the as-of day are kept: the funnel chain (this model to
-- int_contact_states_folded) reads the as-of day only through the contacts it maps events to,
-- so a later day changes only the contacts whose mapping or facts changed, and a contact's rows
-- up to a day never depend on what came after it (every rule runs forward in time). Its readers
-- end with the as-of day.
--
-- Incremental by contact (macros/incremental.sql): a run attributes again only the events that
-- name a key (contact id, email) of a contact whose inputs changed, and keeps those reaching
-- one, from the start of the cap period of the instant the contact is rebuilt from (an event's
-- rank depends only on the events of its period before it).
with

events as (

    select * from {{ ref('stg_landing__engagement_events') }}

),

contact_ids as (

    select
        source_contact_id,
        contact_id

    from {{ ref('int_contact_ids_mapped') }}

),

contact_emails as (

    select
        email,
        contact_id

    from {{ ref('int_contact_emails_mapped') }}

),

{% if is_incremental() %}

-- with the start of the cap period of the instant each is rebuilt from (the earliest timestamp
-- for a contact rebuilt from its start): its events before it keep their ranks
contacts_to_rebuild as (

    select
        contact_id,
        rebuild_from_at is not null as is_from_an_instant,
        coalesce(
            {{ dbt.date_trunc(var('engagement_cap_period'), 'rebuild_from_at') }},
            {{ earliest_timestamp() }}
        ) as rebuilt_from_period_at

    from {{ contacts_to_rebuild_from() }}

),

ids_to_rebuild as (

    select
        contact_ids.source_contact_id,
        contacts_to_rebuild.is_from_an_instant

    from contact_ids
    inner join contacts_to_rebuild
        on contact_ids.contact_id = contacts_to_rebuild.contact_id

),

emails_to_rebuild as (

    select
        contact_emails.email,
        contacts_to_rebuild.is_from_an_instant

    from contact_emails
    inner join contacts_to_rebuild
        on contact_emails.contact_id = contacts_to_rebuild.contact_id

),

{% endif %}

-- an event can reach a contact only by one of its keys. Incrementally, the events of the
-- contacts rebuilt from an instant are read from the earliest period rebuilt, those of the
-- contacts rebuilt from their start (few: new, merged, changed) whatever their date: a daily run
-- reads the new days' events, not the histories of the contacts they reach
events_to_attribute as (

    select events.*

    from events
    {% if is_incremental() -%}
        where
            (
                events.occurred_at >= (
                    select min(rebuilt_from_period_at)
                    from contacts_to_rebuild
                    where is_from_an_instant
                )
                and (
                    events.contact_id in (select source_contact_id from ids_to_rebuild where is_from_an_instant)
                    or events.email in (select email from emails_to_rebuild where is_from_an_instant)
                )
            )
            or events.contact_id in (select source_contact_id from ids_to_rebuild where not is_from_an_instant)
            or events.email in (select email from emails_to_rebuild where not is_from_an_instant)
    {%- endif %}

),

event_points as (

    select * from {{ ref('engagement_event_points') }}

),

events_attributed as (

    select
        events.event_id,
        coalesce(by_id.contact_id, by_email.contact_id) as contact_id,
        events.event_type,
        events.is_known_event_type,
        events.occurred_at

    from events_to_attribute as events
    left join contact_ids as by_id
        on events.contact_id = by_id.source_contact_id
    left join contact_emails as by_email
        on events.email = by_email.email
    where not {{ outside_plausible_dates('events.occurred_at', up_to_as_of=false) }}

),

events_ranked_in_period as (

    select
        events_attributed.*,
        coalesce(event_points.points, 0) as base_points,
        coalesce(event_points.is_interest_signal, false) as is_interest_signal,
        coalesce(event_points.is_high_intent, false) as is_high_intent,
        event_points.max_per_period,
        row_number() over (
            partition by
                events_attributed.contact_id,
                events_attributed.event_type,
                {{ dbt.date_trunc(var('engagement_cap_period'), 'events_attributed.occurred_at') }}
            order by events_attributed.occurred_at, events_attributed.event_id
        ) as rank_in_period

    from events_attributed
    {% if is_incremental() -%}
    -- from the period of the instant the contact is rebuilt from: a rank counts its period only
    -- (one join: a membership and a second lookup of the instant cost twice as much on millions
    -- of rows)
    inner join contacts_to_rebuild as rebuilt
        on
            events_attributed.contact_id = rebuilt.contact_id
            and events_attributed.occurred_at >= rebuilt.rebuilt_from_period_at
    {% endif -%}
    left join event_points
        on events_attributed.event_type = event_points.event_type
    where events_attributed.contact_id is not null

),

final as (

    select
        -- ids
        event_id,
        contact_id,

        -- strings
        event_type,

        -- numerics
        base_points,
        case
            when max_per_period is not null and rank_in_period > max_per_period then 0
            else base_points
        end as points,

        -- booleans
        is_known_event_type,
        is_interest_signal,
        is_high_intent,
        max_per_period is not null and rank_in_period > max_per_period as is_capped,

        -- timestamps
        occurred_at,
        {{ build_started_at() }} as built_at

    from events_ranked_in_period

)

select * from final
