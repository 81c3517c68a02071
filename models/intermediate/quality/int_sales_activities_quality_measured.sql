-- The sales activities' part of the base quality scorecard: canonical activity types and
-- outcomes, dates between the date floor and the as-of day, and activities whose contact_id names
-- no contact record known on the as-of day (activities after it are not checked for matching).
{% set checks = [
    ('validity', 'activity_type_unknown', 'activity_type'),
    ('validity', 'outcome_unknown', 'outcome'),
    ('validity', 'occurred_at_out_of_range', 'occurred_at'),
    ('matching', 'contact_unknown', 'contact_id'),
] %}

with

sales_activities as (

    select * from {{ ref('stg_landing__sales_activities') }}

),

contact_ids as (

    select * from {{ ref('int_contact_ids_mapped') }}

),

canonical_values as (

    {{ b2b_funnel.canonical_values() }}

),

sales_activities_flagged as (

    select
        'all' as record_source,
        activity_types.canonical_value is null as activity_type_unknown,
        case when sales_activities.outcome is not null then outcomes.canonical_value is null end as outcome_unknown,
        coalesce({{ b2b_funnel.outside_plausible_dates('sales_activities.occurred_at') }}, true)
            as occurred_at_out_of_range,
        case
            when sales_activities.occurred_at < {{ b2b_funnel.as_of_at() }} then contact_ids.contact_id is null
        end as contact_unknown

    from sales_activities
    left join canonical_values as activity_types
        on
            activity_types.vocabulary = 'activity_type'
            and sales_activities.activity_type = activity_types.canonical_value
    left join canonical_values as outcomes
        on
            outcomes.vocabulary = 'outcome'
            and sales_activities.outcome = outcomes.canonical_value
    left join contact_ids
        on sales_activities.contact_id = contact_ids.source_contact_id

),

measured as (

    {{ b2b_funnel.quality_checks_measured('sales_activities', checks, 'sales_activities_flagged') }}

)

select * from measured
