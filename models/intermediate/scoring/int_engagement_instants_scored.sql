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
-- Scores decay continuously: an event's points halve every `engagement_half_life_days` (h). The
-- score after instant k is sum(points_i * 2^((t_i - t_k) / h)) over the instants i up to k,
-- computed from running sums, with no self-join and nothing depending on the as-of day. Time is
-- cut into periods of 32 half-lives from 1900-01-01; an instant's points are weighted from the
-- start of its period (a weight from 1 to 2^32) and summed, per contact and period, as exact
-- decimals (each term to 1e-12). The score after instant k is its period's running sum, plus the
-- totals of the two periods before it scaled by 2^-32 and 2^-64, divided by instant k's weight.
-- What came before them weighs less than 2^-64 of its points and is left out.
--
-- Exact sums make a contact's running state a value that can be carried: in an incremental run,
-- a contact whose only news is new events (`rebuild_from_at`) is scored from its last instant
-- held before them (its period's running sum and the two periods' totals, kept in its row), and
-- reads only its events from that instant on. The sums are those of a full build, to the last
-- bit, whatever the history's length.
--
-- Scores are rounded to 6 decimals before any threshold compares them, so arithmetic noise
-- (59.99999999999999 for 60) cannot flip a stage.
--
-- `decayed_below_recycle_at` is when the score, left alone after this instant, decays below
-- `recycle_score`: t + h * log2(score / threshold), when that comes before the next instant
-- (possibly after the as-of day: readers end with it).
--
-- Incremental by contact (macros/incremental.sql): a run writes the instants of the contacts
-- whose inputs changed from the one each is rebuilt from on, with the instant before it.
{%- set half_life = var('engagement_half_life_days') %}
{%- set period_half_lives = 32 %}
{%- set exact = 'decimal(38, 12)' %}

with

events as (

    select
        contact_id,
        event_type,
        points,
        is_interest_signal,
        is_high_intent,
        occurred_at

    from {{ rows_to_rebuild(ref('int_engagement_events_attributed')) }}

),

event_points as (

    select
        event_type,
        not_contactable_reason

    from {{ ref('engagement_event_points') }}

),

instants_computed as (

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

{% if is_incremental() %}

-- the last instant held before the one a contact is rebuilt from: its sums carry what came
-- before (contacts rebuilt from their start have none)
seeds as (

    select held.*

    from {{ this }} as held
    inner join (
        select
            held.contact_id,
            max(held.occurred_at) as occurred_at

        from {{ this }} as held
        inner join {{ contacts_to_rebuild_from() }} as rebuilt
            on held.contact_id = rebuilt.contact_id
        where held.occurred_at < rebuilt.rebuild_from_at
        group by held.contact_id
    ) as latest
        on
            held.contact_id = latest.contact_id
            and held.occurred_at = latest.occurred_at

),

{% endif %}

-- the instants to score; a seed counts in the running sums with the sums it holds
{%- set instant_columns = [
    'contact_id', 'occurred_at', 'points', 'interactions',
    'has_interest_signal', 'has_high_intent', 'has_unsubscribed', 'has_hard_bounced',
] %}
instants as (

    select
        {{ instant_columns | join(',\n        ') }},
        interactions as interactions_counted,
        cast(null as {{ exact }}) as seed_points_in_period,
        cast(null as {{ exact }}) as seed_points_previous_period,
        cast(null as {{ exact }}) as seed_points_period_before,
        false as is_seed

    from instants_computed

    {% if is_incremental() %}
    union all

    select
        {{ instant_columns | join(',\n        ') }},
        interactions_so_far as interactions_counted,
        weighted_points_in_period as seed_points_in_period,
        weighted_points_previous_period as seed_points_previous_period,
        weighted_points_period_before as seed_points_period_before,
        true as is_seed

    from seeds
    {% endif %}

),

instants_dated as (

    select
        *,
        {{ days_between(earliest_timestamp(), 'occurred_at') }} / {{ half_life }} as half_lives_since_origin

    from instants

),

instants_in_periods as (

    select
        *,
        cast(floor(half_lives_since_origin / {{ period_half_lives }}) as bigint) as weight_period

    from instants_dated

),

instants_weighted as (

    select
        *,
        power(2.0, half_lives_since_origin - {{ period_half_lives }} * weight_period) as weight

    from instants_in_periods

),

-- a seed's instant counts with its period's sum so far, which stands for every instant of its
-- period up to it
instants_valued as (

    select
        *,
        case
            when is_seed then seed_points_in_period
            else cast(points * weight as {{ exact }})
        end as weighted_points

    from instants_weighted

),

-- per contact and period, its instants' weighted points; a seed also brings the totals of the
-- two periods before its own (carried in: the running sums below do not hold them)
period_totals as (

    select
        contact_id,
        weight_period,
        sum(weighted_points) as weighted_points,
        false as is_carried_in

    from instants_valued
    group by contact_id, weight_period

    {% if is_incremental() %}
    union all

    select
        contact_id,
        weight_period - 1 as weight_period,
        seed_points_previous_period as weighted_points,
        true as is_carried_in

    from instants_valued
    where is_seed

    union all

    select
        contact_id,
        weight_period - 2 as weight_period,
        seed_points_period_before as weighted_points,
        true as is_carried_in

    from instants_valued
    where is_seed
    {% endif %}

),

-- per contact and period: the totals of the two periods before it, and what the contact's
-- running sum held when it started (the periods before it, those carried in aside)
period_starts as (

    select
        contact_id,
        weight_period,
        lag(weight_period, 1) over by_period as period_1_back,
        lag(weighted_points, 1) over by_period as points_1_back,
        lag(weight_period, 2) over by_period as period_2_back,
        lag(weighted_points, 2) over by_period as points_2_back,
        sum(case when not is_carried_in then weighted_points end) over (
            partition by contact_id
            order by weight_period
            rows between unbounded preceding and 1 preceding
        ) as points_before_period

    from period_totals
    window by_period as (partition by contact_id order by weight_period)

),

-- one ordered pass over each contact's instants: its running sum across periods (exact, so
-- that the period's own is that minus what the period started with), interactions, next instant
instants_running as (

    select
        *,
        sum(weighted_points) over by_contact_so_far as weighted_points_so_far,
        sum(interactions_counted) over by_contact_so_far as interactions_so_far,
        lead(occurred_at) over (partition by contact_id order by occurred_at) as next_instant_at

    from instants_valued
    window by_contact_so_far as (
        partition by contact_id
        order by occurred_at
        rows between unbounded preceding and current row
    )

),

instants_carried as (

    select
        instants_running.*,
        instants_running.weighted_points_so_far
        - coalesce(period_starts.points_before_period, cast(0 as {{ exact }}))
            as weighted_points_in_period,
        case
            when period_starts.period_1_back = instants_running.weight_period - 1
                then period_starts.points_1_back
            else cast(0 as {{ exact }})
        end as weighted_points_previous_period,
        case
            when period_starts.period_1_back = instants_running.weight_period - 2
                then period_starts.points_1_back
            when period_starts.period_2_back = instants_running.weight_period - 2
                then period_starts.points_2_back
            else cast(0 as {{ exact }})
        end as weighted_points_period_before

    from instants_running
    inner join period_starts
        on
            instants_running.contact_id = period_starts.contact_id
            and instants_running.weight_period = period_starts.weight_period

),

instants_scored as (

    select
        *,
        round(
            (
                cast(weighted_points_in_period as double)
                + cast(weighted_points_previous_period as double) * power(2.0, -{{ period_half_lives }})
                + cast(weighted_points_period_before as double) * power(2.0, -2 * {{ period_half_lives }})
            ) / weight,
            6
        ) as score_after_instant

    from instants_carried

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
        weighted_points_in_period,
        weighted_points_previous_period,
        weighted_points_period_before,

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
