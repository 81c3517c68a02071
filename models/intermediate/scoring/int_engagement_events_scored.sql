-- One row per accepted event, with the contact's engagement score right after it and the points
-- it still carries on the as-of day. Scores decay continuously: an event's points halve every
-- `engagement_half_life_days`. The score after event k is sum(points_i * 2^((t_i - t_k) / h)) over
-- the contact's events i up to k, computed as a running sum of points weighted to the as-of
-- instant divided by event k's weight: one ordered window per contact, no self-join. (Events
-- more than about 1000 half-lives before the as-of day have a weight that underflows to zero.)
with

events as (

    select * from {{ ref('int_engagement_events_attributed') }}

),

events_weighted as (

    select
        *,
        power(
            2.0,
            -{{ days_between('occurred_at', as_of_at()) }} / {{ var('engagement_half_life_days') }}
        ) as decay_to_as_of

    from events

),

events_running as (

    select
        *,
        sum(points * decay_to_as_of) over by_contact_in_time as weighted_points_so_far,
        sum(case when points > 0 then 1 else 0 end) over by_contact_in_time as interactions_so_far,
        lead(occurred_at) over (partition by contact_id order by occurred_at, event_id) as next_event_at

    from events_weighted
    window by_contact_in_time as (
        partition by contact_id
        order by occurred_at, event_id
        rows between unbounded preceding and current row
    )

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
        points,
        points * decay_to_as_of as decayed_points,
        weighted_points_so_far / nullif(decay_to_as_of, 0) as score_after_event,
        interactions_so_far,

        -- booleans
        is_known_event_type,
        is_interest_signal,
        is_high_intent,
        is_capped,

        -- timestamps
        occurred_at,
        next_event_at

    from events_running

)

select * from final
