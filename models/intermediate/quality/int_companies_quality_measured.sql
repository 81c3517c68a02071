-- The companies' part of the base quality scorecard: each company in its version valid on the
-- as-of day, checked for completeness, validity, uniqueness of its domain and freshness.
{% set checks = [
    ('completeness', 'domain_missing', 'domain'),
    ('completeness', 'industry_missing', 'industry'),
    ('completeness', 'size_missing', 'employee_count'),
    ('completeness', 'country_missing', 'country_code'),
    ('validity', 'domain_invalid', 'domain'),
    ('validity', 'country_not_iso', 'country_code'),
    ('validity', 'size_out_of_range', 'employee_count'),
    ('validity', 'revenue_out_of_range', 'annual_revenue_eur'),
    ('uniqueness', 'duplicate_domain', 'domain'),
    ('freshness', 'not_updated_12_months', 'updated_at'),
] %}

with

companies as (

    select * from {{ ref('int_companies_as_of') }}

),

companies_ranked as (

    select
        companies.*,
        row_number() over (partition by companies.domain order by companies.company_id) as domain_rank

    from companies

),

companies_flagged as (

    select
        'all' as record_source,
        companies.domain is null as domain_missing,
        companies.industry is null as industry_missing,
        companies.employee_count is null as size_missing,
        companies.country_code is null as country_missing,
        case
            when companies.domain is not null then not {{ b2b_funnel.is_valid_domain('companies.domain') }}
        end as domain_invalid,
        case when companies.country_code is not null then not companies.is_known_country end as country_not_iso,
        case
            when companies.employee_count is not null
                then {{ b2b_funnel.outside_plausible_range('companies.employee_count', 'employee_count') }}
        end as size_out_of_range,
        case
            when companies.annual_revenue_eur is not null
                then {{ b2b_funnel.outside_plausible_range('companies.annual_revenue_eur', 'annual_revenue_eur') }}
        end as revenue_out_of_range,
        case when companies.domain is not null then companies.domain_rank > 1 end as duplicate_domain,
        -- B2B data decays about a fifth a year: a company untouched for `stale_after_months` is stale
        coalesce(companies.updated_at < {{ b2b_funnel.stale_before_at() }}, true) as not_updated_12_months

    from companies_ranked as companies

),

measured as (

    {{ b2b_funnel.quality_checks_measured('companies', checks, 'companies_flagged') }}

)

select * from measured
