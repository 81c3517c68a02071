-- The opportunities' part of the base quality scorecard: plausible amounts, and opportunities up
-- to the as-of day naming neither a contact record known that day nor a known company (both
-- missing included).
{% set checks = [
    ('validity', 'amount_out_of_range', 'amount_eur'),
    ('matching', 'contact_and_company_unknown', 'contact_id'),
] %}

with

opportunities as (

    select * from {{ ref('stg_landing__opportunities') }}

),

contact_ids as (

    select * from {{ ref('int_contact_ids_mapped') }}

),

companies as (

    select * from {{ ref('int_companies_as_of') }}

),

opportunities_flagged as (

    select
        'all' as record_source,
        case
            when opportunities.amount_eur is not null
                then {{ b2b_funnel.outside_plausible_range('opportunities.amount_eur', 'amount_eur') }}
        end as amount_out_of_range,
        case
            when opportunities.created_at < {{ b2b_funnel.as_of_at() }}
                then contact_ids.contact_id is null and companies.company_id is null
        end as contact_and_company_unknown

    from opportunities
    left join contact_ids
        on opportunities.contact_id = contact_ids.source_contact_id
    left join companies
        on opportunities.company_id = companies.company_id

),

measured as (

    {{ b2b_funnel.quality_checks_measured('opportunities', checks, 'opportunities_flagged') }}

)

select * from measured
