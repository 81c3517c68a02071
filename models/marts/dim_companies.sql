with

companies as (

    select * from {{ ref('stg_landing__companies') }}

),

fit as (

    select * from {{ ref('int_companies_fit_scored') }}

),

size_bands as (

    select * from {{ ref('company_size_bands') }}

),

contacts_matched as (

    select company_id from {{ ref('int_contacts_matched_to_companies') }}

),

contacts_per_company as (

    select
        company_id,
        count(*) as contact_count

    from contacts_matched
    where company_id is not null
    group by company_id

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

        -- numerics
        companies.employee_count,
        companies.annual_revenue_eur,
        companies.founded_year,
        companies.open_jobs,
        companies.last_funding_amount_eur,
        companies.headcount_growth_pct,
        fit.icp_fit_score,
        fit.company_fit_points,
        coalesce(contacts_per_company.contact_count, 0) as contact_count,

        -- dates
        companies.last_funding_date,

        -- timestamps
        companies.updated_at

    from companies
    inner join fit
        on companies.company_id = fit.company_id
    left join size_bands
        on
            companies.employee_count >= size_bands.min_employees
            and (size_bands.max_employees is null or companies.employee_count < size_bands.max_employees)
    left join contacts_per_company
        on companies.company_id = contacts_per_company.company_id

)

select * from final
