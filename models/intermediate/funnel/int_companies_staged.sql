-- One row per company that has a contact or an opportunity: its account stage, its contacts and
-- its opportunities. Contacts carry the account up to SQL; opportunity and customer come from the
-- company's own opportunities, so a deal no contact carries still makes the account an
-- opportunity or a customer, and a contact that is a customer through another company's deal
-- does not make its company one.
with

contacts_matched as (

    select
        contact_id,
        company_id

    from {{ ref('int_contacts_matched_to_companies') }}
    where is_current and company_id is not null

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

contacts_per_company as (

    select
        contacts_matched.company_id,
        count(*) as contact_count,
        max(least(states.state_order, {{ funnel_state_order('sql') }})) as contact_stage_order

    from contacts_matched
    inner join contacts_staged
        on contacts_matched.contact_id = contacts_staged.contact_id
    inner join states
        on contacts_staged.highest_stage = states.state
    group by contacts_matched.company_id

),

opportunities_per_company as (

    select
        opportunities.company_id,
        count(distinct opportunities.opportunity_id) as opportunity_count,
        count(distinct case when opportunities.is_won then opportunities.opportunity_id end)
            as won_opportunity_count,
        min(opportunities.created_at) as first_opportunity_at,
        min(opportunities.won_at) as customer_at,
        max(
            case
                when opportunities.is_won then {{ funnel_state_order('customer') }}
                else {{ funnel_state_order('opportunity') }}
            end
        ) as opportunity_stage_order

    from opportunities
    group by opportunities.company_id

),

companies as (

    select company_id from contacts_per_company
    union distinct
    select company_id from opportunities_per_company

),

final as (

    select
        -- ids
        companies.company_id,

        -- strings
        account_states.state as account_stage,

        -- numerics
        coalesce(contacts_per_company.contact_count, 0) as contact_count,
        coalesce(opportunities_per_company.opportunity_count, 0) as opportunity_count,
        coalesce(opportunities_per_company.won_opportunity_count, 0) as won_opportunity_count,

        -- timestamps
        opportunities_per_company.first_opportunity_at,
        opportunities_per_company.customer_at

    from companies
    left join contacts_per_company
        on companies.company_id = contacts_per_company.company_id
    left join opportunities_per_company
        on companies.company_id = opportunities_per_company.company_id
    inner join states as account_states
        on
            greatest(
                coalesce(contacts_per_company.contact_stage_order, -1),
                coalesce(opportunities_per_company.opportunity_stage_order, -1)
            ) = account_states.state_order

)

select * from final
