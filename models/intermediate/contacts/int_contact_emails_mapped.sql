-- Which contact each email reaches, as known on the as-of day: every email a contact record had
-- in a version valid on or before that day (its email of the day and its previous ones) reaches
-- the record's deduplicated contact, so an event sent to an old address still finds its contact.
-- Records unknown on the as-of day (`int_contact_ids_mapped`) and emails first given after it
-- reach no one. An email held by several contacts reaches the one whose email it is on the
-- as-of day, else the one that had it last (then the smallest contact_id).
with

contact_versions as (

    select
        contact_id,
        email,
        valid_to_at

    from {{ ref('stg_landing__contacts') }}
    where
        email is not null
        and (valid_from_at is null or valid_from_at < {{ as_of_at() }})

),

contact_ids as (

    select
        source_contact_id,
        contact_id

    from {{ ref('int_contact_ids_mapped') }}

),

emails_held as (

    select
        contact_versions.email,
        contact_ids.contact_id,
        coalesce(contact_versions.valid_to_at >= {{ as_of_at() }}, true) as is_current_email,
        contact_versions.valid_to_at

    from contact_versions
    inner join contact_ids
        on contact_versions.contact_id = contact_ids.source_contact_id

),

emails_ranked as (

    select
        *,
        row_number() over (
            partition by email
            order by
                case when is_current_email then 0 else 1 end,
                valid_to_at desc,
                contact_id asc
        ) as holder_rank

    from emails_held

),

final as (

    select
        email,
        contact_id,
        is_current_email

    from emails_ranked
    where holder_rank = 1

)

select * from final
