-- The engagement events' part of the base quality scorecard: known event types, dates between the
-- date floor and the as-of day, and events the funnel attributes to no contact. Events are
-- matched as the funnel attributes them (as known on the as-of day): by a contact_id that names a
-- contact record known then, or by an email that reaches a contact (its email of the day or a
-- previous one); events after the as-of day are not checked for matching.
--
-- Scale: the funnel's attribution (int_engagement_events_attributed, one row per event it
-- attributes) is counted, not computed again: joining every event to the contact ids and emails
-- cost about 4 s a run at 20 M events. That model leaves out the events before the date floor,
-- which are matched here (a handful of rows).
{% set checks = [
    ('validity', 'event_type_unknown', 'event_type'),
    ('validity', 'occurred_at_out_of_range', 'occurred_at'),
] %}

with

engagement_events as (

    select * from {{ ref('stg_landing__engagement_events') }}

),

events_attributed as (

    select * from {{ ref('int_engagement_events_attributed') }}

),

contact_ids as (

    select * from {{ ref('int_contact_ids_mapped') }}

),

contact_emails as (

    select * from {{ ref('int_contact_emails_mapped') }}

),

engagement_events_flagged as (

    select
        'all' as record_source,
        not is_known_event_type as event_type_unknown,
        coalesce({{ b2b_funnel.outside_plausible_dates('occurred_at') }}, true)
            as occurred_at_out_of_range

    from engagement_events

),

events_counted as (

    select
        count(*) as event_count,
        count(case when occurred_at < {{ b2b_funnel.as_of_at() }} then 1 end) as checked_count

    from engagement_events

),

attributed_counted as (

    select count(*) as matched_count

    from events_attributed
    where occurred_at < {{ b2b_funnel.as_of_at() }}

),

-- the events before the date floor, which the funnel does not attribute, matched as it would
matched_before_floor as (

    select count(*) as matched_count

    from engagement_events
    left join contact_ids
        on engagement_events.contact_id = contact_ids.source_contact_id
    left join contact_emails
        on engagement_events.email = contact_emails.email
    where
        engagement_events.occurred_at < {{ b2b_funnel.earliest_plausible_at() }}
        and (contact_ids.contact_id is not null or contact_emails.contact_id is not null)

),

measured as (

    {{ b2b_funnel.quality_checks_measured('engagement_events', checks, 'engagement_events_flagged') }}

    union all

    select
        'engagement_events' as entity,
        'matching' as dimension,
        'contact_unknown' as check_name,
        'contact_id' as field_name,
        'all' as record_source,
        events_counted.checked_count as record_count,
        events_counted.checked_count - attributed_counted.matched_count - matched_before_floor.matched_count
            as failed_count

    from events_counted
    cross join attributed_counted
    cross join matched_before_floor
    -- a row per check as the others have: none without events
    where events_counted.event_count > 0

)

select * from measured
