{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='delete+insert',
        meta={'materialized_because': (
            'change tracking: an incremental run compares the keys with those of the last build'
        )},
        unique_key=['key_kind', 'key_value'],
    )
}}

-- Every key an engagement event can name its contact by (a source contact id, an email), with
-- the contact it reaches on the as-of day (int_contact_ids_mapped, int_contact_emails_mapped)
-- and when that last changed. A key that reaches no one any more keeps a row without contact.
-- An incremental run writes only the keys whose contact changed: int_contact_changes reads
-- them to find the events that move from one contact to another (a merge of two records, an
-- email that changes hands, a contact id that becomes known).
with

ids as (

    select
        source_contact_id,
        contact_id

    from {{ ref('int_contact_ids_mapped') }}

),

emails as (

    select
        email,
        contact_id

    from {{ ref('int_contact_emails_mapped') }}

),

current_keys as (

    select
        'contact_id' as key_kind,
        source_contact_id as key_value,
        contact_id

    from ids

    union all

    select
        'email' as key_kind,
        email as key_value,
        contact_id

    from emails

),

-- what the last build left (nothing, in a full build)
previous_keys as (

    select
        key_kind,
        key_value,
        contact_id

    {% if is_incremental() -%}
        from {{ this }}
        where contact_id is not null
    {%- else -%}
        from current_keys
        where false
    {%- endif %}

),

changed_keys as (

    select
        coalesce(current_keys.key_kind, previous_keys.key_kind) as key_kind,
        coalesce(current_keys.key_value, previous_keys.key_value) as key_value,
        current_keys.contact_id

    from current_keys
    full outer join previous_keys
        on
            current_keys.key_kind = previous_keys.key_kind
            and current_keys.key_value = previous_keys.key_value
    where
        current_keys.contact_id is null
        or previous_keys.contact_id is null
        or current_keys.contact_id != previous_keys.contact_id

),

final as (

    select
        -- ids
        contact_id,

        -- strings
        key_kind,
        key_value,

        -- timestamps
        {{ build_started_at() }} as changed_at

    from changed_keys

)

select * from final
