with

companies as (

    select * from {{ ref('int_companies_as_of') }}

),

fit as (

    select * from {{ ref('int_companies_fit_scored') }}
    where is_current

),

size_bands as (

    select * from {{ ref('company_size_bands') }}

),

accounts as (

    select * from {{ ref('int_companies_staged') }}

),

final as (

    select
        -- ids
        companies.company_id,

        -- strings
        companies.company_name,
        companies.domain,
        companies.industry,
        size_bands.employee_band,
        companies.country_code as country,
        companies.region,
        companies.city,
        fit.icp_fit_grade,
        accounts.account_stage,

        -- numerics
        companies.employee_count,
        companies.annual_revenue_eur,
        companies.founded_year,
        companies.open_jobs,
        companies.last_funding_amount_eur,
        companies.headcount_growth_pct,
        fit.icp_fit_score,
        fit.company_fit_points,
        coalesce(accounts.contact_count, 0) as contact_count,
        coalesce(accounts.opportunity_count, 0) as opportunity_count,
        coalesce(accounts.won_opportunity_count, 0) as won_opportunity_count,

        -- dates
        companies.last_funding_date,

        -- timestamps
        accounts.first_opportunity_at,
        accounts.customer_at,
        companies.updated_at

    from companies
    inner join fit
        on companies.company_id = fit.company_id
    left join size_bands
        on
            companies.employee_count >= size_bands.min_employees
            and (size_bands.max_employees is null or companies.employee_count < size_bands.max_employees)
    left join accounts
        on companies.company_id = accounts.company_id

)

select * from final
