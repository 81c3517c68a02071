-- One row per company: the version of it valid on the as-of day, as it was known at the end of
-- that day. Staging keeps every version with its validity [valid_from_at, valid_to_at): the
-- version read is the latest updated on or before the as-of day, else the first one (valid from
-- the beginning of time), so an as-of run scores a company on its firmographics of that day.
with

company_versions as (

    select * from {{ ref('stg_landing__companies') }}

),

final as (

    select
        -- ids
        company_id,

        -- strings
        company_name,
        domain,
        industry,
        country_code,
        region,
        city,

        -- numerics
        employee_count,
        annual_revenue_eur,
        founded_year,
        open_jobs,
        last_funding_amount_eur,
        headcount_growth_pct,
        version_number,

        -- booleans
        is_known_country,

        -- dates
        last_funding_date,

        -- timestamps
        updated_at,
        valid_from_at,
        valid_to_at,
        loaded_at

    from company_versions
    where
        (valid_from_at is null or valid_from_at < {{ as_of_at() }})
        and (valid_to_at is null or valid_to_at >= {{ as_of_at() }})

)

select * from final
