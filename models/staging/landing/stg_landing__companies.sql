with

source as (

    select * from {{ source('landing', 'companies') }}

),

vocabulary as (

    select * from {{ ref('vocabulary_synonyms') }}

),

-- raw keeps every version of a company, and so does staging: the versions of one id are ordered
-- by updated_at (unknown first), then load time, then line (then file, for a full tie). Version k
-- is valid from its updated_at (the first from the beginning of time: null) until the next
-- version's updated_at (the latest until further notice: null). A version followed by another
-- whose updated_at is unknown too was superseded from the beginning of time: it was never valid.
versions_ordered as (

    select
        *,
        trim(company_id) as trimmed_company_id,
        row_number() over by_version as version_number,
        -- the next version's updated_at; the earliest timestamp (1900-01-01) when it is unknown
        -- (never valid)
        lead(
            coalesce(updated_at, {{ earliest_timestamp() }})
        ) over by_version as valid_to_at

    from source
    window by_version as (
        partition by trim(company_id)
        order by updated_at asc nulls first, _loaded_at asc, _line_number asc, _file_path asc
    )

),

renamed as (

    select
        -- ids
        company_version.trimmed_company_id as company_id,

        -- strings
        {{ clean_text('company_version.name') }} as company_name,
        {{ normalize_domain('company_version.domain') }} as domain,
        {{ clean_text('company_version.industry') }} as industry,
        coalesce(countries.canonical_value, upper({{ clean_text('company_version.country') }})) as country_code,
        {{ clean_text('company_version.region') }} as region,
        {{ clean_text('company_version.city') }} as city,

        -- numerics
        company_version.employee_count,
        company_version.annual_revenue_eur,
        company_version.founded_year,
        company_version.open_jobs,
        company_version.last_funding_amount_eur,
        company_version.headcount_growth_pct,
        company_version.version_number,

        -- booleans
        countries.canonical_value is not null as is_known_country,

        -- dates
        company_version.last_funding_date,

        -- timestamps
        company_version.updated_at,
        case when company_version.version_number > 1 then company_version.updated_at end as valid_from_at,
        company_version.valid_to_at,
        company_version._loaded_at as loaded_at

    from versions_ordered as company_version
    left join vocabulary as countries
        on
            countries.domain = 'country'
            and countries.synonym = {{ normalize_vocabulary('company_version.country') }}

)

select * from renamed
