-- One row per day: the time spine of the semantic layer (MetricFlow reads it for the metrics
-- that need every day: cumulative windows, offsets, days filled with zero). It spans the
-- funnel's days, from the first day a contact entered a state (not before the plausible date
-- floor, var `earliest_plausible_date`) to the as-of day; a base without contacts gets the
-- as-of day alone. `day_spine` makes the days on DuckDB and on Spark alike.
{%- set floor_day = "cast('" ~ var('earliest_plausible_date') ~ "' as date)" %}

with

timeline as (

    select entered_at

    from {{ ref('int_contact_stage_timeline') }}

),

bounds as (

    select
        greatest(
            coalesce(cast(min(entered_at) as date), {{ as_of_date() }}),
            {{ floor_day }}
        ) as first_day

    from timeline

),

days as (

    select date_day

    from {{ day_spine(floor_day, as_of_date()) }} as spine

),

final as (

    select cast(days.date_day as date) as date_day

    from days
    inner join bounds
        on days.date_day >= bounds.first_day

)

select * from final
