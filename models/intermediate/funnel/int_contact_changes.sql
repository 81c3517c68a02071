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
-- From when (`rebuild_from_at`): a contact whose only news is new events is computed again from
-- its earliest new event, since every rule of the chain runs forward in time and its rows
-- before that instant stay as they are (an event dated at or before the contact is first known
-- counts at its identification, so that contact is computed from its start); any other change
-- computes the contact again from its start. A change recorded by a build that some chain model
-- has not caught up with (it was left out of that build, or failed in it) is merged with the
-- new one, so that no model skips the earlier instant.
--
-- Scale: the events read are only the new ones and those naming a changed key; the
-- fingerprints (int_contacts_fingerprinted) read the contact-grain tables.
with

fingerprints as (

    select * from {{ ref('int_contacts_fingerprinted') }}

),

-- the latest event loaded: the next build's new events are those loaded after it
events_loaded as (

    select max(loaded_at) as events_loaded_until
    from {{ ref('stg_landing__engagement_events') }}

),

-- contacts whose own inputs changed, appeared or are gone: computed again from their start
fingerprints_changed as (

    select
        {% if is_incremental() -%}
            coalesce(fingerprints.contact_id, previous.contact_id) as contact_id,
        {%- else -%}
            contact_id,
        {%- endif %}
        cast(null as {{ dbt.type_timestamp() }}) as rebuild_from_at

    from fingerprints
    {% if is_incremental() -%}
        full outer join {{ this }} as previous
            on fingerprints.contact_id = previous.contact_id
        -- null-safe: a contact gone (null) that comes back (the as-of day moved back, then on)
        where fingerprints.inputs_fingerprint is distinct from previous.inputs_fingerprint
    {%- endif %}

),

{% if is_incremental() %}

-- read once: a CTE read twice is materialised whole (20 M events)
events as (

    select
        event_id,
        contact_id as source_contact_id,
        email,
        occurred_at,
        loaded_at

    from {{ ref('stg_landing__engagement_events') }}

),

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

events_flagged as (

    select
        events.*,
        events.loaded_at > (
            select coalesce(max(events_loaded_until), {{ earliest_timestamp() }}) from {{ this }}
        ) as is_new,
        coalesce(
            events.source_contact_id in (select key_value from keys_changed where key_kind = 'contact_id')
            or events.email in (select key_value from keys_changed where key_kind = 'email'),
            false
        ) as names_a_changed_key

    from events

),

-- the events loaded since the last build, and those naming a key that changed since: the
-- first change their contacts from their instant on, the others may move whole histories
events_to_place as (

    select
        event_id,
        source_contact_id,
        email,
        case when not names_a_changed_key then occurred_at end as rebuild_from_at

    from events_flagged
    where is_new or names_a_changed_key

),

-- the contact each reaches now (a contact id that names a contact wins over the email)...
contacts_reached_now as (

    select
        coalesce(by_id.contact_id, by_email.contact_id) as contact_id,
        events_to_place.rebuild_from_at

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

{% set attributed = b2b_funnel.model_relation('int_engagement_events_attributed') %}
-- ...and the contact each reached when the chain was last built
contacts_reached_before as (

    {% if attributed is not none %}
        select
            attributed.contact_id,
            case when events_to_place.rebuild_from_at is not null then attributed.occurred_at end
                as rebuild_from_at

        from {{ attributed }} as attributed
        inner join events_to_place
            on attributed.event_id = events_to_place.event_id
    {% else %}
        select
            cast(null as {{ dbt.type_string() }}) as contact_id,
            cast(null as {{ dbt.type_timestamp() }}) as rebuild_from_at
    {% endif %}

),

{% endif %}

changes as (

    select
        contact_id,
        rebuild_from_at

    from fingerprints_changed
    {% if is_incremental() -%}
        union all
        select
            contact_id,
            rebuild_from_at
        from contacts_reached_now
        union all
        select
            contact_id,
            rebuild_from_at
        from contacts_reached_before
    {%- endif %}

),

-- from its start when any change says so, else from its earliest new event
changed as (

    select
        contact_id,
        case when count(*) = count(rebuild_from_at) then min(rebuild_from_at) end as rebuild_from_at

    from changes
    where contact_id is not null
    group by contact_id

),

{% if is_incremental() %}

-- merged with the last change recorded, when a chain model has not caught up with it
changed_since_caught_up as (

    select
        changed.contact_id,
        case
            when previous.changed_at <= {{ b2b_funnel.chain_caught_up_at() }}
                or previous.changed_at is null
                then changed.rebuild_from_at
            when changed.rebuild_from_at is not null and previous.rebuild_from_at is not null
                then least(changed.rebuild_from_at, previous.rebuild_from_at)
        end as rebuild_from_at

    from changed
    left join {{ this }} as previous
        on changed.contact_id = previous.contact_id

),

{% endif %}

final as (

    select
        -- ids
        changed.contact_id,

        -- strings
        fingerprints.inputs_fingerprint,

        -- timestamps
        {{ build_started_at() }} as changed_at,
        case
            when changed.rebuild_from_at > fingerprints.first_known_at then changed.rebuild_from_at
        end as rebuild_from_at,
        events_loaded.events_loaded_until

    from {% if is_incremental() %}changed_since_caught_up{% else %}changed{% endif %} as changed
    left join fingerprints
        on changed.contact_id = fingerprints.contact_id
    cross join events_loaded

)

select * from final
