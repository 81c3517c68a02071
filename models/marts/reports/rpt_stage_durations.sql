-- Days between consecutive funnel stages over every contact, one row per step of the funnel
-- (prospect to lead, lead to MQL, ... : consecutive stages of the `funnel_states` seed). A step
-- counts a contact that entered both stages, each observed rather than inferred (a skipped
-- stage has the later stage's date, which is no step at all); the dates are first entries.
with

transitions as (

    select
        contact_id,
        stage,
        entered_at,
        is_inferred

    from {{ ref('fct_funnel_transitions') }}
    where stage_entry_number = 1

),

states as (

    select
        state,
        state_order

    from {{ ref('funnel_states') }}
    where kind = 'stage' and state != 'out_of_target'

),

steps as (

    select
        from_states.state as from_stage,
        to_states.state as to_stage,
        from_states.state_order as step_order

    from states as from_states
    inner join states as to_states
        on from_states.state_order + 1 = to_states.state_order

),

steps_taken as (

    select
        steps.step_order,
        {{ days_between('from_entries.entered_at', 'to_entries.entered_at') }} as days_taken

    from steps
    inner join transitions as from_entries
        on steps.from_stage = from_entries.stage
    inner join transitions as to_entries
        on
            from_entries.contact_id = to_entries.contact_id
            and steps.to_stage = to_entries.stage
    where not from_entries.is_inferred and not to_entries.is_inferred

),

durations as (

    select
        step_order,
        count(*) as contacts,
        {{ percentile_cont('days_taken', 0.5) }} as median_days,
        {{ percentile_cont('days_taken', 0.75) }} as p75_days

    from steps_taken
    group by step_order

),

final as (

    select
        -- strings
        steps.from_stage,
        steps.to_stage,

        -- numerics
        cast(steps.step_order as integer) as step_order,
        cast(coalesce(durations.contacts, 0) as bigint) as contacts,
        cast(durations.median_days as double) as median_days,
        cast(durations.p75_days as double) as p75_days,

        -- dates
        {{ as_of_date() }} as as_of_date

    from steps
    left join durations
        on steps.step_order = durations.step_order

)

select * from final
