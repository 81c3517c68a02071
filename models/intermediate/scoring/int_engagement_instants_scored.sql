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

-- One row per contact and instant at which it had accepted engagement events, with its engagement
-- score right after the whole instant. Events at one instant are applied together, so the score
-- never depends on how their ids sort.
--
-- Scores decay continuously: an event's points halve every `engagement_half_life_days`. The
-- score after instant k is sum(points_i * 2^((t_i - t_k) / h)) over the instants i up to k,
-- computed as a running sum of points weighted from an anchor (the first instant of the
-- contact's current burst) divided by instant k's weight: one ordered window, no self-join, and
-- nothing depends on the as-of day. A burst ends after a silence of 64 half-lives (what came
-- before then weighs less than 2^-64 of it), which keeps the weights far from overflow.
--
-- Scores are rounded to 6 decimals before any threshold compares them, so arithmetic noise
-- (59.99999999999999 for 60) cannot flip a stage.
--
-- `decayed_below_recycle_at` is when the score, left alone after this instant, decays below
-- `recycle_score`: t + h * log2(score / threshold), when that comes before the next instant
-- (possibly after the as-of day: readers end with it).
--
-- Incremental by contact (macros/incremental.sql): a run scores again only the contacts whose
-- inputs changed, over their whole history (the running sums are those of a full build, to the
-- last bit), and writes their instants from the one they are rebuilt from on, with the
-- instant before it.
{%- set half_life = var('engagement_half_life_days') %}

with

events as (

    select
        contact_id,
        event_type,
        points,
        is_interest_signal,
        is_high_intent,
        occurred_at

    from {{ ref('int_engagement_events_attributed') }}
    where {{ is_contact_to_rebuild('contact_id') }}

),

event_points as (

    select
        event_type,
        not_contactable_reason

    from {{ ref('engagement_event_points') }}

),

instants as (

    select
        events.contact_id,
        events.occurred_at,
        sum(events.points) as points,
        sum(case when events.points > 0 then 1 else 0 end) as interactions,
        max(case when events.is_interest_signal then 1 else 0 end) = 1 as has_interest_signal,
        max(case when events.is_high_intent then 1 else 0 end) = 1 as has_high_intent,
        max(case when event_points.not_contactable_reason = 'unsubscribed' then 1 else 0 end) = 1
            as has_unsubscribed,
        max(case when event_points.not_contactable_reason = 'hard_bounced' then 1 else 0 end) = 1
            as has_hard_bounced

    from events
    left join event_points
        on events.event_type = event_points.event_type
    group by events.contact_id, events.occurred_at

),

instants_in_order as (

    select
        *,
        lag(occurred_at) over by_contact_in_time as previous_instant_at,
        lead(occurred_at) over by_contact_in_time as next_instant_at

    from instants
    window by_contact_in_time as (partition by contact_id order by occurred_at)

),

-- a burst starts at a contact's first instant and after each long silence
bursts_flagged as (

    select
        *,
        previous_instant_at is null
        or {{ days_between('previous_instant_at', 'occurred_at') }} > 64 * {{ half_life }}
            as is_burst_start

    from instants_in_order

),

-- the running count numbers the bursts and the running latest start dates them: one pass over
-- the contact's instants in time order, which also counts its interactions so far
bursts_numbered as (

    select
        *,
        sum(case when is_burst_start then 1 else 0 end) over by_contact_so_far as burst_number,
        max(case when is_burst_start then occurred_at end) over by_contact_so_far as burst_started_at,
        sum(interactions) over by_contact_so_far as interactions_so_far

    from bursts_flagged
    window by_contact_so_far as (
        partition by contact_id
        order by occurred_at
        rows between unbounded preceding and current row
    )

),

instants_weighted as (

    select
        *,
        power(2.0, {{ days_between('burst_started_at', 'occurred_at') }} / {{ half_life }}) as weight

    from bursts_numbered

),

instants_running as (

    select
        *,
        sum(points * weight) over (
            partition by contact_id, burst_number
            order by occurred_at
            rows between unbounded preceding and current row
        ) as weighted_points_so_far

    from instants_weighted

),

instants_scored as (

    select
        *,
        round(weighted_points_so_far / weight, 6) as score_after_instant

    from instants_running

),

crossings_dated as (

    select
        *,
        case
            when score_after_instant >= {{ var('recycle_score') }}
                then {{ add_seconds(
                    'cast(ceil(86400 * ' ~ half_life ~ ' * log2(score_after_instant / '
                    ~ var('recycle_score') ~ ')) as bigint)',
                    'occurred_at'
                ) }}
        end as decays_below_recycle_at

    from instants_scored

),

final as (

    select
        -- ids
        contact_id,

        -- numerics
        points,
        interactions,
        interactions_so_far,
        score_after_instant,

        -- booleans
        has_interest_signal,
        has_high_intent,
        has_unsubscribed,
        has_hard_bounced,
        score_after_instant >= {{ var('qualified_lead_score') }} as is_qualified_lead_score,
        score_after_instant >= {{ var('mql_score') }}
        and interactions_so_far >= {{ var('mql_min_interactions') }} as is_mql_score,
        score_after_instant < {{ var('recycle_score') }} as is_below_recycle_score,

        -- timestamps
        occurred_at,
        next_instant_at,
        {{ build_started_at() }} as built_at,
        case
            when next_instant_at is null or decays_below_recycle_at < next_instant_at
                then decays_below_recycle_at
        end as decayed_below_recycle_at

    from crossings_dated
    -- the instants from the one the contact is rebuilt from on, and the one before it (whose next
    -- instant and crossing that changes)
    where {{ is_row_to_rebuild('contact_id', 'coalesce(next_instant_at, occurred_at)') }}

)

select * from final
