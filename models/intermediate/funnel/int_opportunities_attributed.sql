-- One row per opportunity created from the date floor (var `earliest_plausible_date`) up to the
-- as-of day and contact it counts for, with the company it
-- counts for. Nothing is lost:
-- - an opportunity naming a known contact counts for that contact (re-pointed to the surviving
--   contact) and for the company named on it, else the contact's company;
-- - one naming no known contact but a known company counts for the company's contacts that
--   reached SQL by its creation, and when there are none, for the company alone (contact_id
--   null): the account still becomes an opportunity or a customer;
-- - one naming neither is left out here and counted by the quality scorecard.
-- A won opportunity without `closed_at` is won from the load that first said so (its latest
-- known date), flagged `is_won_date_inferred`. Closes after the as-of day are not known yet.
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
    where is_current

),

companies as (

    select company_id from {{ ref('int_companies_as_of') }}

),

sql_activities as (

    select
        contact_id,
        occurred_at

    from {{ ref('int_sales_activities_attributed') }}
    where is_sql_qualifying

),

opportunities_known as (

    select
        opportunities.opportunity_id,
        contact_ids.contact_id,
        companies.company_id as known_company_id,
        opportunities.created_at,
        opportunities.closed_at,
        opportunities.is_won,
        opportunities.loaded_at

    from opportunities
    left join contact_ids
        on opportunities.contact_id = contact_ids.source_contact_id
    left join companies
        on opportunities.company_id = companies.company_id
    where not {{ outside_plausible_dates('opportunities.created_at') }}

),

by_contact as (

    select
        opportunities_known.opportunity_id,
        opportunities_known.contact_id,
        coalesce(opportunities_known.known_company_id, companies_matched.company_id) as company_id,
        'contact_id' as attribution_method,
        opportunities_known.created_at,
        opportunities_known.closed_at,
        opportunities_known.is_won,
        opportunities_known.loaded_at

    from opportunities_known
    left join companies_matched
        on opportunities_known.contact_id = companies_matched.contact_id
    where opportunities_known.contact_id is not null

),

company_sql_contacts as (

    select distinct
        opportunities_known.opportunity_id,
        companies_matched.contact_id

    from opportunities_known
    inner join companies_matched
        on opportunities_known.known_company_id = companies_matched.company_id
    inner join sql_activities
        on
            companies_matched.contact_id = sql_activities.contact_id
            and opportunities_known.created_at >= sql_activities.occurred_at
    where opportunities_known.contact_id is null

),

by_company as (

    select
        opportunities_known.opportunity_id,
        company_sql_contacts.contact_id,
        opportunities_known.known_company_id as company_id,
        case
            when company_sql_contacts.contact_id is null then 'company_only' else 'company_sql_contact'
        end as attribution_method,
        opportunities_known.created_at,
        opportunities_known.closed_at,
        opportunities_known.is_won,
        opportunities_known.loaded_at

    from opportunities_known
    left join company_sql_contacts
        on opportunities_known.opportunity_id = company_sql_contacts.opportunity_id
    where
        opportunities_known.contact_id is null
        and opportunities_known.known_company_id is not null

),

attributed as (

    select * from by_contact
    union all
    select * from by_company

),

final as (

    select
        -- ids
        opportunity_id,
        contact_id,
        company_id,

        -- strings
        attribution_method,

        -- booleans
        coalesce(is_won and closed_at < {{ as_of_at() }}, false)
        or coalesce(is_won and closed_at is null and loaded_at < {{ as_of_at() }}, false) as is_won,
        coalesce(not is_won and closed_at < {{ as_of_at() }}, false) as is_lost,
        coalesce(is_won and closed_at is null and loaded_at < {{ as_of_at() }}, false) as is_won_date_inferred,

        -- timestamps
        created_at,
        case when closed_at < {{ as_of_at() }} then greatest(closed_at, created_at) end as closed_at,
        case
            when is_won and closed_at < {{ as_of_at() }} then greatest(closed_at, created_at)
            when is_won and closed_at is null and loaded_at < {{ as_of_at() }} then greatest(loaded_at, created_at)
        end as won_at

    from attributed

)

select * from final
