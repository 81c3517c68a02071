-- The funnel as it stood at the end of each day, rebuilt from the dated state changes, so any
-- past day is known without having run on it. Days go back `funnel_daily_days` from the as-of
-- day. A state entered and left on the same day is not counted in that day's stock (an inferred
-- stage, entered and left at the instant of the later stage, never is). Each day counts a
-- contact in the segment (ICP grade, lead source) it had that day (int_contacts_fit_scored's
-- periods), so a day's rows are what a run as of that day gives.
with

timeline as (

    select
        contact_id,
        stage,
        entered_at,
        exited_at

    from {{ ref('int_contact_stage_timeline') }}

),

fit_periods as (

    select
        contact_id,
        icp_fit_grade,
        lead_source,
        valid_from_at,
        valid_to_at

    from {{ ref('int_contacts_fit_scored') }}

),

bounds as (

    select
        {{ dbt.dateadd('day', -var('funnel_daily_days'), as_of_date()) }} as first_day,
        {{ as_of_date() }} as last_day

),

days as (

    select date_day from {{ day_spine(
        'cast(' ~ dbt.dateadd('day', -var('funnel_daily_days'), as_of_date()) ~ ' as date)',
        as_of_date()
    ) }} as spine

),

-- each stay in a state, cut where the contact's segment changes
states as (

    select
        timeline.stage,
        coalesce(fit_periods.icp_fit_grade, 'unknown') as icp_fit_grade,
        coalesce(fit_periods.lead_source, 'unknown') as lead_source,
        cast(greatest(timeline.entered_at, fit_periods.valid_from_at) as date) as entered_day,
        cast(least(timeline.exited_at, fit_periods.valid_to_at) as date) as left_day,
        fit_periods.valid_from_at is null or fit_periods.valid_from_at <= timeline.entered_at as is_entry

    from timeline
    inner join fit_periods
        on
            timeline.contact_id = fit_periods.contact_id
            -- the period of its entry (an entry left at once has no length), and any it lasts into
            and (
                {{ in_period('timeline.entered_at', 'fit_periods.valid_from_at', 'fit_periods.valid_to_at') }}
                or {{ periods_overlap(
                    'timeline.entered_at', 'timeline.exited_at', 'fit_periods.valid_from_at', 'fit_periods.valid_to_at'
                ) }}
            )

),

-- the stock moves +1 on the day a state starts being held at the end of a day (clipped to the
-- first day) and -1 on the day it stops; `entered` counts every entry, same-day ones included
stock_changes as (

    select
        states.stage,
        states.icp_fit_grade,
        states.lead_source,
        greatest(states.entered_day, bounds.first_day) as date_day,
        1 as stock_change,
        0 as entered

    from states
    cross join bounds
    where states.left_day is null or states.left_day > greatest(states.entered_day, bounds.first_day)

    union all

    select
        states.stage,
        states.icp_fit_grade,
        states.lead_source,
        states.left_day as date_day,
        -1 as stock_change,
        0 as entered

    from states
    cross join bounds
    where states.left_day > greatest(states.entered_day, bounds.first_day) and states.left_day <= bounds.last_day

    union all

    select
        states.stage,
        states.icp_fit_grade,
        states.lead_source,
        states.entered_day as date_day,
        0 as stock_change,
        1 as entered

    from states
    cross join bounds
    where states.is_entry and states.entered_day >= bounds.first_day

),

changes_per_day as (

    select
        date_day,
        stage,
        icp_fit_grade,
        lead_source,
        sum(stock_change) as stock_change,
        sum(entered) as contacts_entered

    from stock_changes
    group by date_day, stage, icp_fit_grade, lead_source

),

segments as (

    select distinct
        stage,
        icp_fit_grade,
        lead_source

    from changes_per_day

),

final as (

    select
        days.date_day as funnel_date,
        segments.stage,
        segments.icp_fit_grade,
        segments.lead_source,
        cast(sum(coalesce(changes_per_day.stock_change, 0)) over (
            partition by segments.stage, segments.icp_fit_grade, segments.lead_source
            order by days.date_day
            rows between unbounded preceding and current row
        ) as bigint) as contacts,
        cast(coalesce(changes_per_day.contacts_entered, 0) as bigint) as contacts_entered

    from days
    cross join segments
    left join changes_per_day
        on
            days.date_day = changes_per_day.date_day
            and segments.stage = changes_per_day.stage
            and segments.icp_fit_grade = changes_per_day.icp_fit_grade
            and segments.lead_source = changes_per_day.lead_source

)

select * from final
