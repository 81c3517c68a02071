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
-- inputs changed. A contact rebuilt from an instant (int_contact_changes) is folded from it
-- only: every running window starts from what the contact's held rows before the instant add
-- up to (the seeds: one hash aggregate over those rows, and the last row's state and levels),
-- so a daily run sorts the new instants, not the histories. A full build has no seeds.
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

{#- What a contact rebuilt from an instant had folded before it, aggregated from its held rows
    up to then (no window: one hash aggregate), by name: the aggregate, and the type of the
    null that stands for it in a full build. #}
{%- set seed_columns = {
    'seed_has_shown_interest': ('max(case when held.has_interest_signal then 1 else 0 end) = 1', 'boolean'),
    'seed_disqualification_number': ('sum(case when held.has_disqualification then 1 else 0 end)', 'bigint'),
    'seed_last_disqualified_at': ('max(case when held.has_disqualification then held.occurred_at end)', 'timestamp'),
    'seed_last_opportunity_opened_at': (
        'max(case when held.has_opportunity_opened and not held.has_disqualification then held.occurred_at end)',
        'timestamp'),
    'seed_last_below_recycle_at': ('max(case when held.is_below_recycle_score then held.occurred_at end)', 'timestamp'),
    'seed_has_won': ('max(case when held.has_opportunity_won then 1 else 0 end) = 1', 'boolean'),
    'seed_last_mql_entry_at': ('max(case when held.is_mql_entry_point then held.occurred_at end)', 'timestamp'),
    'seed_last_lost_at': ('max(case when held.is_loss then held.occurred_at end)', 'timestamp'),
    'seed_last_setback_at': ('max(case when held.has_disqualification or held.is_loss then held.occurred_at end)', 'timestamp'),
    'seed_last_qualified_at': (
        'max(case when held.has_sql_qualification and not (held.has_disqualification or held.is_loss) then held.occurred_at end)',
        'timestamp'),
    'seed_last_opened_at': (
        'max(case when held.has_opportunity_opened and not (held.has_disqualification or held.is_loss) then held.occurred_at end)',
        'timestamp'),
    'seed_losses_so_far': ('sum(case when held.is_loss then 1 else 0 end)', 'bigint'),
    'seed_last_instant_at': ('max(held.occurred_at)', 'timestamp'),
} %}

{#- How the fold reads a seed: in an incremental build, the seeds' column (joined in pass 1 and
    carried after it); a full build has no seeds and reads a typed null instead, which the
    engine folds away rather than sorting a column of nulls in every pass. #}
{%- set seed_types = {} %}
{%- for name, (aggregate, type) in seed_columns.items() %}
    {%- do seed_types.update({name: type}) %}
{%- endfor %}
{%- do seed_types.update({
    'seed_open_opportunities': 'bigint',
    'seed_state': dbt.type_string(),
    'seed_sales_state': dbt.type_string(),
    'seed_highest_level': 'integer',
    'seed_losses_at_last_disqualification': 'bigint',
}) %}
{%- set seed = {} %}
{%- for name, type in seed_types.items() %}
    {%- do seed.update({name: name if is_incremental() else 'cast(null as ' ~ type ~ ')'}) %}
{%- endfor %}
{#- the seeds read after pass 1, which an incremental build carries through it #}
{%- set seeds_carried = [
    'seed_last_mql_entry_at', 'seed_last_lost_at', 'seed_last_setback_at', 'seed_last_qualified_at',
    'seed_last_opened_at', 'seed_losses_so_far', 'seed_state', 'seed_sales_state', 'seed_highest_level',
    'seed_losses_at_last_disqualification',
] %}

facts as (

    select * from {{ rows_to_rebuild(ref('int_contact_facts_by_instant')) }}

),

{% if is_incremental() %}

rebuilt_from_an_instant as (

    select
        contact_id,
        rebuild_from_at

    from {{ contacts_to_rebuild_from() }}
    where rebuild_from_at is not null

),

-- one pass over the held rows before each instant: read twice (the aggregate and the last row),
-- they would be materialised whole, every column of tens of rows per reached contact
held_aggregated as (

    select
        held.contact_id,
        {% for name, (aggregate, type) in seed_columns.items() %}
            {{ aggregate }} as {{ name }}{% if not loop.last %},{% endif %}
        {% endfor %}

    from {{ this }} as held
    inner join rebuilt_from_an_instant as rebuilt
        on
            held.contact_id = rebuilt.contact_id
            and held.occurred_at < rebuilt.rebuild_from_at
    group by held.contact_id

),

-- the open opportunities are counted from the facts (the fold keeps whether, not how many):
-- from the instants with an opportunity only, a few of the reached contacts' tens of instants
opportunities_open_before as (

    select
        facts.contact_id,
        sum(facts.opportunities_opened - facts.opportunities_won - facts.opportunities_lost)
            as seed_open_opportunities

    from {{ ref('int_contact_facts_by_instant') }} as facts
    inner join rebuilt_from_an_instant as rebuilt
        on
            facts.contact_id = rebuilt.contact_id
            and facts.occurred_at < rebuilt.rebuild_from_at
    where facts.opportunities_opened > 0 or facts.opportunities_won > 0 or facts.opportunities_lost > 0
    group by facts.contact_id

),

-- with the state, the highest level and the loss number of the last row before the instant
seeds as (

    select
        held_aggregated.*,
        coalesce(opportunities_open_before.seed_open_opportunities, 0) as seed_open_opportunities,
        last_held.state as seed_state,
        last_held.sales_state as seed_sales_state,
        last_held.highest_level as seed_highest_level,
        held_aggregated.seed_losses_so_far - last_held.loss_number as seed_losses_at_last_disqualification

    from held_aggregated
    inner join {{ this }} as last_held
        on
            held_aggregated.contact_id = last_held.contact_id
            and held_aggregated.seed_last_instant_at = last_held.occurred_at
    left join opportunities_open_before
        on held_aggregated.contact_id = opportunities_open_before.contact_id

),

{% endif %}

states as (

    select
        state,
        state_order,
        kind

    from {{ ref('funnel_states') }}

),

-- pass 1: what the facts so far add up to (with what the rows before the instant a contact is
-- rebuilt from had: the seeds)
facts_accumulated as (

    select
        facts.*,
        coalesce({{ seed.seed_has_shown_interest }}, false)
        or max(case when facts.has_interest_signal then 1 else 0 end) over by_contact_so_far = 1
            as has_shown_interest,
        coalesce({{ seed.seed_disqualification_number }}, 0)
        + sum(case when facts.has_disqualification then 1 else 0 end) over by_contact_so_far
            as disqualification_number,
        {{ latest_of(
            seed.seed_last_disqualified_at,
            'max(case when facts.has_disqualification then facts.occurred_at end) over by_contact_so_far'
        ) }} as last_disqualified_at,
        -- an opportunity opened at a disqualification's instant came before it
        {{ latest_of(
            seed.seed_last_opportunity_opened_at,
            'max(case when facts.opportunities_opened > 0 and not facts.has_disqualification'
            ~ ' then facts.occurred_at end) over by_contact_so_far'
        ) }} as last_opportunity_opened_at,
        {{ latest_of(
            seed.seed_last_below_recycle_at,
            'max(case when facts.is_below_recycle_score then facts.occurred_at end) over by_contact_so_far'
        ) }} as last_below_recycle_at,
        coalesce({{ seed.seed_has_won }}, false) or max(facts.opportunities_won) over by_contact_so_far > 0
            as has_won,
        {%- if is_incremental() %}
            {%- for name in seeds_carried %}
        seeds.{{ name }},
            {%- endfor %}
        {%- endif %}
        coalesce({{ seed.seed_open_opportunities }}, 0)
        + sum(facts.opportunities_opened - facts.opportunities_won - facts.opportunities_lost)
            over by_contact_so_far as open_opportunities

    from facts
    {%- if is_incremental() %}
    left join seeds
        on facts.contact_id = seeds.contact_id
    {%- endif %}
    window by_contact_so_far as (
        partition by facts.contact_id
        order by facts.occurred_at
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
        {{ latest_of(
            seed.seed_last_mql_entry_at,
            'max(case when is_mql_entry_point then occurred_at end) over by_contact_so_far'
        ) }} as last_mql_entry_at,
        {{ latest_of(
            seed.seed_last_lost_at, 'max(case when is_loss then occurred_at end) over by_contact_so_far'
        ) }} as last_lost_at,
        {{ latest_of(
            seed.seed_last_setback_at,
            'max(case when has_disqualification or is_loss then occurred_at end) over by_contact_so_far'
        ) }} as last_setback_at,
        {{ latest_of(
            seed.seed_last_qualified_at,
            'max(case when has_sql_qualification and not (has_disqualification or is_loss)'
            ~ ' then occurred_at end) over by_contact_so_far'
        ) }} as last_qualified_at,
        {{ latest_of(
            seed.seed_last_opened_at,
            'max(case when opportunities_opened > 0 and not (has_disqualification or is_loss)'
            ~ ' then occurred_at end) over by_contact_so_far'
        ) }} as last_opened_at,
        coalesce({{ seed.seed_losses_so_far }}, 0) + sum(case when is_loss then 1 else 0 end) over by_contact_so_far
            as losses_so_far

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

-- pass 3: what the previous instant left (the seed's, for the first row after it)
states_current as (

    select
        *,
        coalesce(sales_state, marketing_state) as state,
        coalesce(lag(coalesce(sales_state, marketing_state)) over by_contact_in_time, {{ seed.seed_state }})
            as previous_state,
        coalesce(
            lag(case when sales_state is null then 1 else 0 end) over by_contact_in_time,
            case when {{ seed.seed_sales_state }} is null then 1 else 0 end
        ) = 1 as was_marketing_led,
        losses_so_far - coalesce(
            {{ latest_of(
                seed.seed_losses_at_last_disqualification,
                'max(case when has_disqualification then losses_so_far end) over ('
                ~ ' partition by contact_id order by occurred_at'
                ~ ' rows between unbounded preceding and current row)'
            ) }},
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
        {{ latest_of(
            seed.seed_highest_level,
            'max(level_reached) over (partition by contact_id order by occurred_at'
            ~ ' rows between unbounded preceding and current row)'
        ) }} as highest_level,
        {{ latest_of(
            seed.seed_highest_level,
            'max(level_reached) over (partition by contact_id order by occurred_at'
            ~ ' rows between unbounded preceding and 1 preceding)'
        ) }} as previous_highest_level

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

)

select * from final
