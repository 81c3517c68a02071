-- One row per person known on the as-of day: its epoch valid at the end of that day
-- (int_contact_epochs, where survivorship is), with when it was first known.
with

epochs as (

    select * from {{ ref('int_contact_epochs') }}

),

contact_ids as (

    select
        contact_id,
        min(known_from_at) as first_known_at

    from {{ ref('int_contact_ids_mapped') }}
    group by contact_id

),

final as (

    select
        -- ids
        epochs.contact_id,
        epochs.company_id,

        -- strings
        epochs.email,
        epochs.first_name,
        epochs.last_name,
        epochs.phone,
        epochs.job_title,
        epochs.seniority,
        epochs.department,
        epochs.linkedin_url,
        epochs.company_domain,
        epochs.country_code,
        epochs.lead_source,

        -- numerics
        epochs.source_record_count,

        -- booleans
        epochs.is_opted_out,
        epochs.has_valid_email,

        -- timestamps
        epochs.created_at,
        epochs.updated_at,
        contact_ids.first_known_at

    from epochs
    inner join contact_ids
        on epochs.contact_id = contact_ids.contact_id
    where epochs.valid_to_at is null

)

select * from final
