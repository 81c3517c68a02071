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

-- Each contact's life as a state machine: one row per contact and instant (from
-- int_contact_facts_by_instant), with the state the contact is in right after the instant and
-- the highest funnel stage reached so far. The facts are folded with running windows over the
-- contact's instants, so a later increment can carry each contact's last row forward.
--
-- Scale: every window here runs over the contact's instants in time order (one sort each, tens
-- of millions of rows at scale), so the rules are written as four passes: "since the last
-- disqualification" or "since the last setback" is a comparison of running latest timestamps,
-- not a window partitioned by a running count, which would sort all the rows again.
-- Incremental by contact (macros/incremental.sql): a run folds again only the contacts whose
-- inputs changed, and writes their rows from the instant each is rebuilt from.
--
-- The rules (states in the `funnel_states` seed):
-- - Marketing, until sales takes over: an identified contact is a `prospect` when it is in the
--   ICP and `out_of_target` when not, by its fit at each instant (the fit valid then, which
--   int_contact_facts_by_instant carries), so it moves between the two as its fit does; its
--   first interest signal makes a `lead`; an MQL entry
--   point (score, interactions and fit at the MQL thresholds, after interest) makes an `mql`;
--   the score falling below `recycle_score` makes an MQL `recycled`, and the next MQL entry
--   point an `mql` again, as many times as it happens.
-- - Sales, from its first qualifying or disqualifying activity or opportunity: `sql` and
--   `opportunity` (the highest reached since the last disqualification or loss);
--   `disqualified` when sales says no, until a new SQL or opportunity; `lost` when the last
--   open opportunity opened since then is lost, until a new SQL or opportunity. A win makes a
--   `customer`, for good.
-- - Facts at one instant are applied together, in this order: identification, marketing
--   (interest, then the score after the whole instant), sales qualifications, opportunities
--   opened and won, then losses and disqualifications. So a qualifying and a disqualifying
--   activity at one instant leave the contact disqualified, having reached SQL.
with

facts as (

    select * from {{ ref('int_contact_facts_by_instant') }}
    where {{ is_contact_to_rebuild('contact_id') }}

),

states as (

    select
        state,
        state_order,
        kind

    from {{ ref('funnel_states') }}

),

-- pass 1: what the facts so far add up to
facts_accumulated as (

    select
        facts.*,
        max(case when facts.has_interest_signal then 1 else 0 end) over by_contact_so_far = 1
            as has_shown_interest,
        sum(case when facts.has_disqualification then 1 else 0 end) over by_contact_so_far
            as disqualification_number,
        max(case when facts.has_disqualification then facts.occurred_at end) over by_contact_so_far
            as last_disqualified_at,
        -- an opportunity opened at a disqualification's instant came before it
        max(
            case when facts.opportunities_opened > 0 and not facts.has_disqualification then facts.occurred_at end
        ) over by_contact_so_far as last_opportunity_opened_at,
        max(case when facts.is_below_recycle_score then facts.occurred_at end) over by_contact_so_far
            as last_below_recycle_at,
        max(facts.opportunities_won) over by_contact_so_far > 0 as has_won,
        sum(facts.opportunities_opened - facts.opportunities_won - facts.opportunities_lost)
            over by_contact_so_far as open_opportunities

    from facts
    window by_contact_so_far as (
        partition by contact_id
        order by occurred_at
        rows between unbounded preceding and current row
    )

),

-- marketing's score crossings, sales' positive level before this instant's negatives, losses
crossings_and_levels as (

    select
        *,
        is_mql_score and has_shown_interest and icp_fit_score >= {{ var('mql_min_fit_score') }}
            as is_mql_entry_point,
        greatest(
            case when has_sql_qualification then {{ funnel_state_order('sql') }} else 0 end,
            case when opportunities_opened > 0 then {{ funnel_state_order('opportunity') }} else 0 end
        ) as sales_level,
        -- the last open opportunity opened since the last disqualification is lost
        opportunities_lost > 0
        and open_opportunities = 0
        and not has_won
        and {{ happened_since('last_opportunity_opened_at', 'last_disqualified_at') }}
        and not has_disqualification as is_loss

    from facts_accumulated

),

-- pass 2: when each marketing and sales event last happened; a setback (a disqualification or a
-- loss) resets the sales level, and the positives of a negative instant came before it
latest_dated as (

    select
        *,
        max(case when is_mql_entry_point then occurred_at end) over by_contact_so_far as last_mql_entry_at,
        max(case when is_loss then occurred_at end) over by_contact_so_far as last_lost_at,
        max(case when has_disqualification or is_loss then occurred_at end) over by_contact_so_far
            as last_setback_at,
        max(
            case when has_sql_qualification and not (has_disqualification or is_loss) then occurred_at end
        ) over by_contact_so_far as last_qualified_at,
        max(
            case when opportunities_opened > 0 and not (has_disqualification or is_loss) then occurred_at end
        ) over by_contact_so_far as last_opened_at,
        sum(case when is_loss then 1 else 0 end) over by_contact_so_far as losses_so_far

    from crossings_and_levels
    window by_contact_so_far as (
        partition by contact_id
        order by occurred_at
        rows between unbounded preceding and current row
    )

),

states_decided as (

    select
        *,
        case
            when not has_shown_interest then case when is_icp then 'prospect' else 'out_of_target' end
            when last_mql_entry_at is null then 'lead'
            when last_below_recycle_at is null or last_mql_entry_at > last_below_recycle_at then 'mql'
            else 'recycled'
        end as marketing_state,
        case
            when has_won then 'customer'
            when {{ happened_since('last_opened_at', 'last_setback_at') }} then 'opportunity'
            when {{ happened_since('last_qualified_at', 'last_setback_at') }} then 'sql'
            when {{ happened_since('last_lost_at', 'last_disqualified_at') }} then 'lost'
            when disqualification_number > 0 then 'disqualified'
        end as sales_state

    from latest_dated

),

-- pass 3: what the previous instant left
states_current as (

    select
        *,
        coalesce(sales_state, marketing_state) as state,
        lag(coalesce(sales_state, marketing_state)) over by_contact_in_time as previous_state,
        lag(sales_state) over by_contact_in_time is null as was_marketing_led,
        losses_so_far - coalesce(
            max(case when has_disqualification then losses_so_far end) over (
                partition by contact_id
                order by occurred_at
                rows between unbounded preceding and current row
            ),
            0
        ) as loss_number

    from states_decided
    window by_contact_in_time as (partition by contact_id order by occurred_at)

),

levels_reached as (

    select
        states_current.*,
        greatest(
            case when current_states.kind = 'stage' then current_states.state_order else 0 end,
            case
                when states_current.was_marketing_led and marketing_states.kind = 'stage'
                    then marketing_states.state_order
                else 0
            end,
            case
                when states_current.has_disqualification or states_current.is_loss
                    then states_current.sales_level
                else 0
            end
        ) as level_reached

    from states_current
    inner join states as current_states
        on states_current.state = current_states.state
    inner join states as marketing_states
        on states_current.marketing_state = marketing_states.state

),

-- pass 4: the highest stage reached so far, and before this instant
highest_levels as (

    select
        *,
        max(level_reached) over (
            partition by contact_id
            order by occurred_at
            rows between unbounded preceding and current row
        ) as highest_level,
        max(level_reached) over (
            partition by contact_id
            order by occurred_at
            rows between unbounded preceding and 1 preceding
        ) as previous_highest_level

    from levels_reached

),

final as (

    select
        -- ids
        contact_id,

        -- strings
        state,
        previous_state,
        marketing_state,
        sales_state,
        disqualification_reason,

        -- numerics
        highest_level,
        previous_highest_level,
        score_after_instant,
        disqualification_number,
        loss_number,

        -- booleans
        is_icp,
        is_identification,
        has_interest_signal,
        has_high_intent,
        is_qualified_lead_score,
        is_mql_entry_point,
        is_below_recycle_score,
        has_sql_qualification,
        opportunities_opened > 0 as has_opportunity_opened,
        opportunities_won > 0 as has_opportunity_won,
        has_won_date_inferred,
        has_disqualification,
        is_loss,
        has_unsubscribed,
        has_hard_bounced,

        -- timestamps
        occurred_at,
        {{ build_started_at() }} as built_at

    from highest_levels
    where {{ is_row_to_rebuild('contact_id', 'occurred_at') }}

)

select * from final
