-- One row per accepted engagement event, with the contact's engagement score right after the
-- instant it happened at (all events of one instant share it: see int_engagement_instants_scored)
-- and the points it still carries at the end of the as-of day, an event's points halving every
-- `engagement_half_life_days`. The event grain is written here once: dim_contacts and
-- fct_contact_score_components read it rather than a copy.
with

-- the attributed events run past the as-of day (they do not depend on it); this ends with it
events as (

    select * from {{ ref('int_engagement_events_attributed') }}
    where occurred_at < {{ as_of_at() }}

),

instants as (

    select
        contact_id,
        occurred_at,
        score_after_instant

    from {{ ref('int_engagement_instants_scored') }}

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
        events.points * power(
            2.0,
            -{{ days_between('events.occurred_at', as_of_at()) }} / {{ var('engagement_half_life_days') }}
        ) as decayed_points,
        instants.score_after_instant as score_after_event,

        -- booleans
        events.is_known_event_type,
        events.is_interest_signal,
        events.is_high_intent,
        events.is_capped,

        -- timestamps
        events.occurred_at

    from events
    inner join instants
        on
            events.contact_id = instants.contact_id
            and events.occurred_at = instants.occurred_at
    left join companies_matched
        on events.contact_id = companies_matched.contact_id

)

select * from final
