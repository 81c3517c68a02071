-- Which person each source contact record is: records are the same person when their normalised
-- emails are equal; a record without email is a person of its own. Each record is read in its
-- version valid on the as-of day (`int_contacts_as_of`).
-- A record is known from its `created_at`; without one, from its first fact (an event, activity
-- or opportunity naming its id, or an event sent to its email), else from its first update, else
-- from its first load. Records not known by the as-of day are left out, so an as-of run sees the
-- base as it was, and a record created later never changes an earlier day. A date before the
-- date floor (var `earliest_plausible_date`: a 1900-01-01 or 1970-01-01 export default) is no
-- date: such a `created_at` or update is skipped, and such facts are not read. The surviving
-- contact_id is the source id of the person's first-known record, so it stays the same when the
-- person is exported again under another id.
with

contacts as (

    select
        contact_id,
        email,
        case when created_at >= {{ earliest_plausible_at() }} then created_at end as created_at,
        updated_at,
        loaded_at

    from {{ ref('int_contacts_as_of') }}

),

contact_versions as (

    select
        contact_id,
        min(case when updated_at >= {{ earliest_plausible_at() }} then updated_at end) as first_updated_at,
        min(loaded_at) as first_loaded_at

    from {{ ref('stg_landing__contacts') }}
    group by contact_id

),

-- the first event of each contact id and email, if before the end of the as-of day
first_events as (

    select
        key_kind,
        key_value,
        first_occurred_at

    from {{ ref('int_contact_first_events') }}
    where first_occurred_at < {{ as_of_at() }}

),

activities as (

    select
        contact_id,
        occurred_at

    from {{ ref('stg_landing__sales_activities') }}
    where not {{ outside_plausible_dates('occurred_at') }}

),

opportunities as (

    select
        contact_id,
        created_at

    from {{ ref('stg_landing__opportunities') }}
    where not {{ outside_plausible_dates('created_at') }}

),

facts_by_id as (

    select
        key_value as contact_id,
        first_occurred_at as occurred_at

    from first_events
    where key_kind = 'contact_id'

    union all

    select
        contact_id,
        occurred_at

    from activities

    union all

    select
        contact_id,
        created_at as occurred_at

    from opportunities
    where contact_id is not null

),

first_facts_by_id as (

    select
        contact_id,
        min(occurred_at) as first_fact_at

    from facts_by_id
    group by contact_id

),

first_events_by_email as (

    select
        key_value as email,
        first_occurred_at as first_fact_at

    from first_events
    where key_kind = 'email'

),

contacts_known as (

    select
        contacts.contact_id as source_contact_id,
        contacts.email,
        coalesce(
            contacts.created_at,
            least(first_facts_by_id.first_fact_at, first_events_by_email.first_fact_at),
            contact_versions.first_updated_at,
            contact_versions.first_loaded_at
        ) as known_from_at,
        coalesce(contacts.email, {{ dbt.concat(["'contact_id:'", "contacts.contact_id"]) }}) as person_key

    from contacts
    inner join contact_versions
        on contacts.contact_id = contact_versions.contact_id
    left join first_facts_by_id
        on contacts.contact_id = first_facts_by_id.contact_id
    left join first_events_by_email
        on contacts.email = first_events_by_email.email

),

final as (

    select
        source_contact_id,
        first_value(source_contact_id) over (
            partition by person_key
            order by known_from_at asc, source_contact_id asc
            rows between unbounded preceding and unbounded following
        ) as contact_id,
        person_key,
        count(*) over (partition by person_key) as source_record_count,
        known_from_at

    from contacts_known
    where known_from_at < {{ as_of_at() }}

)

select * from final
