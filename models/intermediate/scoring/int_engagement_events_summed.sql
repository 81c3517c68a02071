-- One row per contact and event type it engaged by up to the as-of day: how many events, how
-- many over their type's cap, the latest, the points they earned, and the points they still
-- carry at the end of the as-of day (each halved every `engagement_half_life_days`).
--
-- The decayed points are summed as exact decimals (each term to 1e-12): a float sum's last
-- digits depend on the order the engine adds the rows in, and must not differ between two
-- builds or engines. The engagement components (fct_contact_score_components) are these rows,
-- and a contact's engagement score (dim_contacts) their sum, so the two agree to the last digit.
--
-- Scale: the event grain (20 M rows at 1 M contacts) is read here once per build, three columns
-- and two flags of it, for both readers. Every row changes every day (the decay), so this is a
-- table rebuilt each run: a few million rows.
with

events as (

    select
        contact_id,
        event_type,
        points,
        is_capped,
        occurred_at

    from {{ ref('int_engagement_events_attributed') }}
    where occurred_at < {{ as_of_at() }}

),

final as (

    select
        -- ids
        contact_id,

        -- strings
        event_type,

        -- numerics
        count(*) as event_count,
        cast(sum(case when is_capped then 1 else 0 end) as {{ dbt.type_bigint() }}) as capped_event_count,
        cast(sum(points) as {{ dbt.type_bigint() }}) as points,
        sum(cast({{ decayed_to_as_of('points', 'occurred_at') }} as decimal(38, 12))) as decayed_points,

        -- timestamps
        max(occurred_at) as last_occurred_at

    from events
    group by contact_id, event_type

)

select * from final
