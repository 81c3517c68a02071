with

companies as (

    select * from {{ ref('stg_landing__companies') }}

),

contacts as (

    select company_id from {{ ref('stg_landing__contacts') }}

),

contacts_per_company as (

    select
        company_id,
        count(*) as contact_count

    from contacts
    where company_id is not null
    group by company_id

),

final as (

    select
        companies.company_id,
        companies.company_name,
        companies.domain,
        companies.industry,
        companies.employee_count,
        companies.annual_revenue_eur,
        companies.country_code as country,
        companies.region,
        companies.city,
        companies.founded_year,
        companies.open_jobs,
        companies.last_funding_date,
        companies.last_funding_amount_eur,
        companies.headcount_growth_pct,
        coalesce(contacts_per_company.contact_count, 0) as contact_count,
        companies.updated_at

    from companies
    left join contacts_per_company
        on companies.company_id = contacts_per_company.company_id

)

select * from final
