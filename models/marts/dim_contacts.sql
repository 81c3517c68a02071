with

contacts as (

    select * from {{ ref('stg_landing__contacts') }}

),

companies as (

    select company_id from {{ ref('stg_landing__companies') }}

),

final as (

    select
        contacts.contact_id,
        companies.company_id,
        contacts.email,
        contacts.first_name,
        contacts.last_name,
        contacts.phone,
        contacts.linkedin_url,
        contacts.job_title,
        contacts.seniority,
        contacts.department,
        contacts.country_code as country,
        contacts.lead_source,
        contacts.is_valid_email,
        contacts.is_opted_out,
        not contacts.is_opted_out and contacts.is_valid_email as is_contactable,
        contacts.created_at,
        contacts.updated_at

    from contacts
    -- only a company_id that names a known company is kept; domain matching comes later
    left join companies
        on contacts.company_id = companies.company_id

)

select * from final
