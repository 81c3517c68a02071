-- Which person each source contact record is: records are the same person when their normalised
-- emails are equal; a record without email is a person of its own. The surviving contact_id is
-- the source id of the person's first-created record, so it stays the same when the person is
-- exported again under another id. Each record is read in its version valid on the as-of day
-- (`int_contacts_as_of`). Records created after the as-of day did not exist yet then and are
-- left out, so an as-of run sees the base as it was.
with

contacts as (

    select
        contact_id,
        email,
        created_at

    from {{ ref('int_contacts_as_of') }}
    where created_at is null or created_at < {{ as_of_at() }}

),

contacts_keyed as (

    select
        contact_id as source_contact_id,
        email,
        created_at,
        coalesce(email, {{ dbt.concat(["'contact_id:'", "contact_id"]) }}) as person_key

    from contacts

),

final as (

    select
        source_contact_id,
        first_value(source_contact_id) over (
            partition by person_key
            order by created_at asc nulls last, source_contact_id asc
            rows between unbounded preceding and unbounded following
        ) as contact_id,
        person_key,
        count(*) over (partition by person_key) as source_record_count

    from contacts_keyed

)

select * from final
