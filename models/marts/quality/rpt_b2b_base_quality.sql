-- The B2B base quality scorecard: per entity and check, how many records were checked and how many
-- failed, per source (contacts: their lead source) and overall (`all`). Each entity is measured in
-- its own model (`int_<entity>_quality_measured`, models/intermediate/quality), the rows the raw
-- load refused in `int_quarantined_rows_measured`; this model unions them and adds the rates.

with

companies_measured as (

    select * from {{ ref('int_companies_quality_measured') }}

),

contacts_measured as (

    select * from {{ ref('int_contacts_quality_measured') }}

),

engagement_events_measured as (

    select * from {{ ref('int_engagement_events_quality_measured') }}

),

sales_activities_measured as (

    select * from {{ ref('int_sales_activities_quality_measured') }}

),

opportunities_measured as (

    select * from {{ ref('int_opportunities_quality_measured') }}

),

quarantined_rows_measured as (

    select * from {{ ref('int_quarantined_rows_measured') }}

),

all_measures as (

    select * from companies_measured
    union all
    select * from contacts_measured
    union all
    select * from engagement_events_measured
    union all
    select * from sales_activities_measured
    union all
    select * from opportunities_measured
    union all
    select * from quarantined_rows_measured

),

final as (

    select
        -- ids
        {{ dbt.concat(["entity", "':'", "check_name", "':'", "record_source"]) }} as quality_check_id,

        -- strings
        entity,
        dimension,
        check_name,
        field_name,
        record_source,

        -- numerics
        cast(record_count as {{ dbt.type_bigint() }}) as record_count,
        cast(record_count - failed_count as {{ dbt.type_bigint() }}) as passed_count,
        cast(failed_count as {{ dbt.type_bigint() }}) as failed_count,
        cast(
            case when record_count > 0 then (record_count - failed_count) * 1.0 / record_count end
            as double
        ) as pass_rate,
        cast(
            case when record_count > 0 then failed_count * 1.0 / record_count end as double
        ) as fail_rate,

        -- dates
        {{ b2b_funnel.as_of_date() }} as as_of_date

    from all_measures

)

select * from final
