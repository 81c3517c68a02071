-- The quarantine part of the base quality scorecard: per entity with rows read from loaded files,
-- the rows the raw load refused, per reason (`quarantined_<reason_kind>`) and in all
-- (`quarantined_any`). An entity with nothing refused joins no reason and reports 0.

with

file_loads as (

    select * from {{ ref('stg_landing__file_loads') }}

),

quarantined_rows as (

    select * from {{ ref('stg_landing__quarantined_rows') }}

),

rows_read as (

    select
        entity,
        sum(rows_read) as rows_read

    from file_loads
    where load_status = 'loaded'
    group by entity

),

quarantine_reasons as (

    select
        entity,
        reason_kind,
        count(*) as quarantined_rows

    from quarantined_rows
    group by entity, reason_kind

    union all

    select
        entity,
        'any' as reason_kind,
        count(*) as quarantined_rows

    from quarantined_rows
    group by entity

),

measured as (

    select
        rows_read.entity,
        'quarantine' as dimension,
        {{ dbt.concat(["'quarantined_'", "coalesce(quarantine_reasons.reason_kind, 'any')"]) }} as check_name,
        cast(null as {{ dbt.type_string() }}) as field_name,
        'all' as record_source,
        rows_read.rows_read as record_count,
        coalesce(quarantine_reasons.quarantined_rows, 0) as failed_count

    from rows_read
    left join quarantine_reasons
        on rows_read.entity = quarantine_reasons.entity

)

select * from measured
