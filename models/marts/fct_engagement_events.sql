with

events as (

    select * from {{ ref('int_engagement_events_scored') }}

),

companies_matched as (

    select
        contact_id,
        company_id

    from {{ ref('int_contacts_matched_to_companies') }}
    where is_current

),

final as (

    select
        -- ids
        events.event_id,
        events.contact_id,
        companies_matched.company_id,

        -- strings
        events.event_type,

        -- numerics
        events.base_points,
        events.points,
        events.decayed_points,
        events.score_after_event,

        -- booleans
        events.is_known_event_type,
        events.is_interest_signal,
        events.is_high_intent,
        events.is_capped,

        -- timestamps
        events.occurred_at

    from events
    left join companies_matched
        on events.contact_id = companies_matched.contact_id

)

select * from final
