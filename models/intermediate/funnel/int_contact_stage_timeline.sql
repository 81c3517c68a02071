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
with

-- the fold holds every fact the base has; the timeline ends with the as-of day
folded as (

    select * from {{ ref('int_contact_states_folded') }}
    where occurred_at < {{ as_of_at() }}

),

states as (

    select
        state,
        state_order,
        kind

    from {{ ref('funnel_states') }}

),

moves as (

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

final as (

    select
        -- ids
        contact_id,

        -- strings
        stage,
        lag(stage) over by_contact_in_order as from_stage,

        -- numerics
        transition_number,
        cast(row_number() over (
            partition by contact_id, stage order by transition_number
        ) as {{ dbt.type_bigint() }}) as stage_entry_number,

        -- booleans
        is_inferred,

        -- timestamps
        entered_at,
        lead(entered_at) over by_contact_in_order as exited_at

    from entries_in_order
    window by_contact_in_order as (partition by contact_id order by transition_number)

)

select * from final
