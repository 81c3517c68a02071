{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='delete+insert',
        meta={'materialized_because': (
            'change tracking: an incremental run compares the fingerprints with those of the last build'
        )},
        unique_key='contact_id',
    )
}}
-- depends_on: {{ ref('int_contact_keys') }}

-- One row per contact the funnel chain has computed, with a fingerprint of its inputs and when
-- they last changed: what the incremental-by-contact models (macros/incremental.sql) rebuild.
-- A contact's inputs changed when, since the last build:
-- - its fingerprint changed: its identification, its fit periods, its qualifying and
--   disqualifying sales activities, its opportunities (all as of the as-of day), or the vars
--   and seeds the chain reads (then every contact changed);
-- - an event was loaded that reaches it;
-- - an event moved to it or away from it, because a key the event names (a contact id, an
--   email: int_contact_keys) now reaches another contact. The contact the event reached is
--   read from int_engagement_events_attributed as the last build left it.
-- A contact that is gone (merged into another, forgotten, not known on an earlier as-of day)
-- keeps a row without fingerprint, so its rows are removed downstream.
--
-- Scale: the events read are only the new ones and those naming a changed key; the
-- fingerprints (int_contacts_fingerprinted) read the contact-grain tables.
with

fingerprints as (

    select * from {{ ref('int_contacts_fingerprinted') }}

),

events as (

    select
        event_id,
        contact_id as source_contact_id,
        email,
        loaded_at

    from {{ ref('stg_landing__engagement_events') }}

),

-- what the last build left (nothing, in a full build)
previous as (

    select
        contact_id,
        inputs_fingerprint

    {% if is_incremental() -%}
        from {{ this }}
    {%- else -%}
        from fingerprints
        where false
    {%- endif %}

),

-- contacts whose own inputs changed, appeared or are gone
fingerprints_changed as (

    select coalesce(fingerprints.contact_id, previous.contact_id) as contact_id

    from fingerprints
    full outer join previous
        on fingerprints.contact_id = previous.contact_id
    where
        (fingerprints.inputs_fingerprint is null and previous.inputs_fingerprint is not null)
        or fingerprints.inputs_fingerprint != previous.inputs_fingerprint
        or previous.contact_id is null

),

{% if is_incremental() %}

keys as (

    select * from {{ ref('int_contact_keys') }}

),

keys_changed as (

    select
        key_kind,
        key_value

    from keys
    where changed_at > (select coalesce(max(changed_at), {{ earliest_timestamp() }}) from {{ this }})

),

-- the events loaded since the last build, and those naming a key that changed since
events_to_place as (

    select events.*

    from events
    where
        events.loaded_at > (
            select coalesce(max(events_loaded_until), {{ earliest_timestamp() }}) from {{ this }}
        )
        or events.source_contact_id in (select key_value from keys_changed where key_kind = 'contact_id')
        or events.email in (select key_value from keys_changed where key_kind = 'email')

),

-- the contact each reaches now (a contact id that names a contact wins over the email)...
contacts_reached_now as (

    select coalesce(by_id.contact_id, by_email.contact_id) as contact_id

    from events_to_place
    left join keys as by_id
        on
            by_id.key_kind = 'contact_id'
            and events_to_place.source_contact_id = by_id.key_value
    left join keys as by_email
        on
            by_email.key_kind = 'email'
            and events_to_place.email = by_email.key_value

),

{% set attributed = adapter.get_relation(
    database=this.database, schema=this.schema, identifier='int_engagement_events_attributed'
) %}
-- ...and the contact each reached when the chain was last built
contacts_reached_before as (

    {% if attributed is not none %}
        select attributed.contact_id

        from {{ attributed }} as attributed
        inner join events_to_place
            on attributed.event_id = events_to_place.event_id
    {% else %}
        select cast(null as {{ dbt.type_string() }}) as contact_id
    {% endif %}

),

{% endif %}

changed as (

    select contact_id from fingerprints_changed
    {% if is_incremental() -%}
        union
        select contact_id from contacts_reached_now
        union
        select contact_id from contacts_reached_before
    {%- endif %}

),

final as (

    select
        -- ids
        changed.contact_id,

        -- strings
        fingerprints.inputs_fingerprint,

        -- timestamps
        {{ build_started_at() }} as changed_at,
        (select max(events.loaded_at) from events) as events_loaded_until

    from changed
    left join fingerprints
        on changed.contact_id = fingerprints.contact_id
    where changed.contact_id is not null

)

select * from final
