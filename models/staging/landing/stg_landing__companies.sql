with

source as (

    select * from {{ source('landing', 'companies') }}

),

vocabulary as (

    select * from {{ ref('vocabulary_synonyms') }}

),

-- raw keeps every version of a company: the latest `updated_at` wins, then the latest load
versions_ranked as (

    select
        *,
        row_number() over (
            partition by company_id
            order by updated_at desc nulls last, _loaded_at desc, _line_number desc
        ) as version_rank

    from source

),

renamed as (

    select
        -- ids
        trim(latest.company_id) as company_id,

        -- strings
        {{ clean_text('latest.name') }} as company_name,
        {{ normalize_domain('latest.domain') }} as domain,
        {{ clean_text('latest.industry') }} as industry,
        coalesce(countries.canonical_value, upper({{ clean_text('latest.country') }})) as country_code,
        {{ clean_text('latest.region') }} as region,
        {{ clean_text('latest.city') }} as city,

        -- numerics
        latest.employee_count,
        latest.annual_revenue_eur,
        latest.founded_year,
        latest.open_jobs,
        latest.last_funding_amount_eur,
        latest.headcount_growth_pct,

        -- booleans
        countries.canonical_value is not null as is_known_country,

        -- dates
        latest.last_funding_date,

        -- timestamps
        latest.updated_at,
        latest._loaded_at as loaded_at

    from versions_ranked as latest
    left join vocabulary as countries
        on
            countries.domain = 'country'
            and countries.synonym = {{ normalize_vocabulary('latest.country') }}
    where latest.version_rank = 1

)

select * from renamed
