-- One row per opportunity and contact it counts for, up to the as-of day. An opportunity with a
-- contact counts for that contact (re-pointed to the surviving contact); one with only a company
-- counts for the company's contacts that reached SQL by the opportunity's creation.
with

opportunities as (

    select * from {{ ref('stg_landing__opportunities') }}

),

contact_ids as (

    select
        source_contact_id,
        contact_id

    from {{ ref('int_contact_ids_mapped') }}

),

companies_matched as (

    select
        contact_id,
        company_id

    from {{ ref('int_contacts_matched_to_companies') }}

),

activities as (

    select
        contact_id,
        occurred_at

    from {{ ref('int_sales_activities_attributed') }}
    where is_sql_qualifying

),

opportunities_in_time as (

    select * from opportunities
    where created_at < {{ as_of_at() }}

),

by_contact as (

    select
        opportunities_in_time.opportunity_id,
        contact_ids.contact_id,
        'contact_id' as attribution_method,
        opportunities_in_time.created_at,
        opportunities_in_time.closed_at,
        opportunities_in_time.is_won

    from opportunities_in_time
    inner join contact_ids
        on opportunities_in_time.contact_id = contact_ids.source_contact_id

),

by_company as (

    select distinct
        opportunities_in_time.opportunity_id,
        companies_matched.contact_id,
        'company_sql_contact' as attribution_method,
        opportunities_in_time.created_at,
        opportunities_in_time.closed_at,
        opportunities_in_time.is_won

    from opportunities_in_time
    inner join companies_matched
        on opportunities_in_time.company_id = companies_matched.company_id
    inner join activities
        on
            companies_matched.contact_id = activities.contact_id
            and opportunities_in_time.created_at >= activities.occurred_at
    where opportunities_in_time.contact_id is null

),

final as (

    select
        opportunity_id,
        contact_id,
        attribution_method,
        created_at,
        case when closed_at < {{ as_of_at() }} then closed_at end as closed_at,
        coalesce(is_won and closed_at < {{ as_of_at() }}, false) as is_won

    from (
        select * from by_contact
        union all
        select * from by_company
    ) as attributed

)

select * from final
