{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='replace_whole_contacts',
        meta={'materialized_because': (
            'incremental by contact, cut at the as-of day: a run recomputes the contacts whose'
            ' facts changed or that the as-of day moved over (macros/incremental.sql)'
        )},
    )
}}
-- depends_on: {{ ref('int_contact_changes') }}

-- Every entry of a contact into a funnel state, in order: one row per contact and transition.
-- At each instant where the fold (int_contact_states_folded) moves a contact, the entries are,
-- in this order:
-- - at identification, `prospect` (in the ICP) or `out_of_target` (not);
-- - each funnel stage from lead upward reached for the first time, in funnel order: observed
--   when the instant carries its fact, else inferred (a skipped stage takes the date of the
--   later stage, so counts from lead upward stay monotone);
-- - the state the contact ends the instant in, when it is not the last of those: a side state
--   (`funnel_states` seed) or a re-entry (an MQL again, an SQL after a disqualification).
-- Each entry records the state it left and when the contact left it (the next entry).
--
-- Incremental by contact, cut at the as-of day (macros/incremental.sql): a run computes again
-- every entry of the contacts whose facts changed and of those with an entry the as-of day
-- moved over: a later day past a contact's next entry (`next_entry_at`, the first move of the
-- fold after the as-of day), or an earlier day before its last one. A fact that moves nothing
-- changes no entry, so the contact's rows stay as they are.
--
-- Scale: a daily run reads the fold's rows of the contacts it computes again, a few hundred
-- thousand of tens of millions.
with

-- the fold holds every fact the base has; the timeline ends with the as-of day
folded as (

    select * from {{ ref('int_contact_states_folded') }}
    {% if is_incremental() -%}
        where contact_id in {{ contacts_to_rebuild_at_as_of('next_entry_at', 'entered_at') }}
    {%- endif %}

),

states as (

    select
        state,
        state_order,
        kind

    from {{ ref('funnel_states') }}

),

-- the instants at which the fold moves a contact, on both sides of the end of the as-of day
all_moves as (

    select
        folded.*,
        highest_states.state as highest_state,
        case when folded.is_icp then 'prospect' else 'out_of_target' end as identified_state

    from folded
    inner join states as highest_states
        on folded.highest_level = highest_states.state_order
    where
        folded.is_identification
        or folded.state != folded.previous_state
        or folded.highest_level > folded.previous_highest_level

),

moves as (

    select * from all_moves
    where occurred_at < {{ as_of_at() }}

),

-- each contact's first move after the as-of day: a later as-of day past it changes its entries
next_moves as (

    select
        contact_id,
        min(occurred_at) as next_entry_at

    from all_moves
    where occurred_at >= {{ as_of_at() }}
    group by contact_id

),

identification_entries as (

    select
        contact_id,
        occurred_at as entered_at,
        0 as position_in_instant,
        identified_state as stage,
        false as is_inferred

    from moves
    where is_identification

),

first_stage_entries as (

    select
        moves.contact_id,
        moves.occurred_at as entered_at,
        states.state_order as position_in_instant,
        states.state as stage,
        -- observed when the instant carries the stage's own fact
        case
            when states.state = 'lead' then not moves.has_interest_signal
            when states.state = 'mql' then not moves.is_mql_entry_point
            when states.state = 'sql' then not moves.has_sql_qualification
            when states.state = 'opportunity' then not moves.has_opportunity_opened
            else not moves.has_opportunity_won or moves.has_won_date_inferred
        end as is_inferred

    from moves
    inner join states
        on
            moves.highest_level >= states.state_order
            and coalesce(moves.previous_highest_level, -1) < states.state_order
            and states.kind = 'stage'
            and states.state_order >= 2

),

final_state_entries as (

    select
        contact_id,
        occurred_at as entered_at,
        100 as position_in_instant,
        state as stage,
        false as is_inferred

    from moves
    where
        state != coalesce(
            case
                when highest_level >= 2 and highest_level > coalesce(previous_highest_level, -1)
                    then highest_state
            end,
            case when is_identification then identified_state end,
            previous_state
        )

),

entries as (

    select * from identification_entries
    union all
    select * from first_stage_entries
    union all
    select * from final_state_entries

),

entries_in_order as (

    select
        *,
        -- row numbers are bigints on DuckDB and ints on Spark: the contract says bigint
        cast(row_number() over (
            partition by contact_id order by entered_at, position_in_instant
        ) as {{ dbt.type_bigint() }}) as transition_number

    from entries

),

in_order as (

    select
        contact_id,
        stage,
        lag(stage) over by_contact_in_order as from_stage,
        transition_number,
        cast(row_number() over (
            partition by contact_id, stage order by transition_number
        ) as {{ dbt.type_bigint() }}) as stage_entry_number,
        is_inferred,
        entered_at,
        lead(entered_at) over by_contact_in_order as exited_at

    from entries_in_order
    window by_contact_in_order as (partition by contact_id order by transition_number)

),

final as (

    select
        -- ids
        in_order.contact_id,

        -- strings
        in_order.stage,
        in_order.from_stage,

        -- numerics
        in_order.transition_number,
        in_order.stage_entry_number,

        -- booleans
        in_order.is_inferred,

        -- timestamps
        in_order.entered_at,
        in_order.exited_at,
        next_moves.next_entry_at,
        {{ build_started_at() }} as built_at

    from in_order
    left join next_moves
        on in_order.contact_id = next_moves.contact_id

)

select * from final
