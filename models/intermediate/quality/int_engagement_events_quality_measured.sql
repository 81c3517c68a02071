-- The engagement events' part of the base quality scorecard: known event types, dates between the
-- date floor and the as-of day, and events the funnel attributes to no contact. Events are
-- matched as the funnel attributes them (as known on the as-of day): by a contact_id that names a
-- contact record known then, or by an email that reaches a contact (its email of the day or a
-- previous one); events after the as-of day are not checked for matching.
{% set checks = [
    ('validity', 'event_type_unknown', 'event_type'),
    ('validity', 'occurred_at_out_of_range', 'occurred_at'),
    ('matching', 'contact_unknown', 'contact_id'),
] %}

with

engagement_events as (

    select * from {{ ref('stg_landing__engagement_events') }}

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
        not engagement_events.is_known_event_type as event_type_unknown,
        coalesce({{ b2b_funnel.outside_plausible_dates('engagement_events.occurred_at') }}, true)
            as occurred_at_out_of_range,
        case
            when engagement_events.occurred_at < {{ b2b_funnel.as_of_at() }}
                then contact_ids.contact_id is null and contact_emails.contact_id is null
        end as contact_unknown

    from engagement_events
    left join contact_ids
        on engagement_events.contact_id = contact_ids.source_contact_id
    left join contact_emails
        on engagement_events.email = contact_emails.email

),

measured as (

    {{ b2b_funnel.quality_checks_measured('engagement_events', checks, 'engagement_events_flagged') }}

)

select * from measured
