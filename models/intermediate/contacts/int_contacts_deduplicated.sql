-- One row per person. Each record is read in its version valid on the as-of day
-- (`int_contacts_as_of`). Survivorship: the most recently updated record wins, and each value it
-- lacks is filled from the other records, most recently updated first. A person is opted out
-- when any of its records is, created when its first record was.
with

contacts as (

    select * from {{ ref('int_contacts_as_of') }}

),

contact_ids as (

    select
        source_contact_id,
        contact_id,
        source_record_count

    from {{ ref('int_contact_ids_mapped') }}

),

records_ranked as (

    select
        contact_ids.contact_id,
        contact_ids.source_record_count,
        contacts.*,
        row_number() over (
            partition by contact_ids.contact_id
            order by contacts.updated_at desc nulls last, contacts.loaded_at desc, contacts.contact_id asc
        ) as recency_rank

    from contacts
    inner join contact_ids
        on contacts.contact_id = contact_ids.source_contact_id

),

values_survived as (

    select
        contact_id,
        recency_rank,
        source_record_count,
        {% for column in [
            'company_id', 'email', 'first_name', 'last_name', 'phone', 'job_title', 'seniority',
            'department', 'linkedin_url', 'company_domain', 'country_code', 'lead_source'
        ] %}
            {{ b2b_funnel.first_value_ignore_nulls(column) }} over by_recency as {{ column }},
        {% endfor %}
        max(case when is_opted_out then 1 else 0 end) over by_person = 1 as is_opted_out,
        max(case when is_valid_email then 1 else 0 end) over by_person = 1 as has_valid_email,
        min(created_at) over by_person as created_at,
        max(updated_at) over by_person as updated_at

    from records_ranked
    window
        by_person as (partition by contact_id),
        by_recency as (
            partition by contact_id
            order by recency_rank
            rows between unbounded preceding and unbounded following
        )

),

final as (

    select
        -- ids
        contact_id,
        company_id,

        -- strings
        email,
        first_name,
        last_name,
        phone,
        job_title,
        seniority,
        department,
        linkedin_url,
        company_domain,
        country_code,
        lead_source,

        -- numerics
        source_record_count,

        -- booleans
        is_opted_out,
        has_valid_email,

        -- timestamps
        created_at,
        updated_at

    from values_survived
    where recency_rank = 1

)

select * from final
