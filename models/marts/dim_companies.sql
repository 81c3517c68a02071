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

contacts_matched as (

    select
        contact_id,
        company_id

    from {{ ref('int_contacts_matched_to_companies') }}
    where is_current

),

contacts_staged as (

    select
        contact_id,
        highest_stage

    from {{ ref('int_contacts_staged') }}

),

opportunities as (

    select
        opportunity_id,
        company_id,
        is_won,
        created_at,
        won_at

    from {{ ref('int_opportunities_attributed') }}
    where company_id is not null

),

states as (

    select
        state,
        state_order

    from {{ ref('funnel_states') }}

),

-- contacts carry the account up to SQL; opportunity and customer come from the company's own
-- opportunities, so a deal no contact carries still makes the account an opportunity or customer
contacts_per_company as (

    select
        contacts_matched.company_id,
        count(*) as contact_count,
        max(least(states.state_order, 4)) as contact_stage_order

    from contacts_matched
    inner join contacts_staged
        on contacts_matched.contact_id = contacts_staged.contact_id
    inner join states
        on contacts_staged.highest_stage = states.state
    where contacts_matched.company_id is not null
    group by contacts_matched.company_id

),

opportunities_per_company as (

    select
        company_id,
        count(distinct opportunity_id) as opportunity_count,
        count(distinct case when is_won then opportunity_id end) as won_opportunity_count,
        min(created_at) as first_opportunity_at,
        min(won_at) as customer_at,
        max(case when is_won then 6 else 5 end) as opportunity_stage_order

    from opportunities
    group by company_id

),

accounts_staged as (

    select
        companies.company_id,
        account_states.state as account_stage

    from companies
    left join contacts_per_company
        on companies.company_id = contacts_per_company.company_id
    left join opportunities_per_company
        on companies.company_id = opportunities_per_company.company_id
    left join states as account_states
        on
            greatest(
                coalesce(contacts_per_company.contact_stage_order, -1),
                coalesce(opportunities_per_company.opportunity_stage_order, -1)
            ) = account_states.state_order

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
        accounts_staged.account_stage,

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
        coalesce(opportunities_per_company.opportunity_count, 0) as opportunity_count,
        coalesce(opportunities_per_company.won_opportunity_count, 0) as won_opportunity_count,

        -- dates
        companies.last_funding_date,

        -- timestamps
        opportunities_per_company.first_opportunity_at,
        opportunities_per_company.customer_at,
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
    left join opportunities_per_company
        on companies.company_id = opportunities_per_company.company_id
    inner join accounts_staged
        on companies.company_id = accounts_staged.company_id

)

select * from final
