{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='delete+insert',
        unique_key=['key_kind', 'key_value'],
        meta={'materialized_because': (
            'the first event of each contact id and email, over tens of millions of events:'
            ' as a table rebuilt every run, a day of new events would aggregate all of them'
            ' again; incremental, because staged events are only ever appended'
        )},
    )
}}

-- One row per contact id and per email that engagement events name: the first event dated with
-- it, never before the date floor (var `earliest_plausible_date`), whatever the as-of day. A
-- reader cuts it at the as-of day: a key has an event before the end of the as-of day exactly
-- when its first event is before it, so this table does not depend on the as-of day.
--
-- Incremental (on DuckDB): staged events are only ever appended, so the first event of a key
-- changes only when events loaded since the latest this table took in name it. A run takes
-- those events, and for the keys they name the earliest of theirs and of the one held; a day
-- of new events reads them and the keys they name, not the whole event grain. A forgotten
-- delivery rebuilds it in full, as every incremental model (orchestration/dbt_builds.py).
--
-- Scale: one row per contact id or email with events (about as many as contacts); a full build
-- aggregates every staged event once.
with

events as (

    select
        contact_id,
        email,
        occurred_at,
        loaded_at

    from {{ ref('stg_landing__engagement_events') }}
    where occurred_at >= {{ earliest_plausible_at() }}
    {% if is_incremental() -%}
        and loaded_at > (select coalesce(max(loaded_at), {{ earliest_timestamp() }}) from {{ this }})
    {%- endif %}

),

keyed_events as (

    select
        'contact_id' as key_kind,
        contact_id as key_value,
        occurred_at,
        loaded_at

    from events
    where contact_id is not null

    union all

    select
        'email' as key_kind,
        email as key_value,
        occurred_at,
        loaded_at

    from events
    where email is not null

),

{% if is_incremental() %}

-- what the table holds for the keys the new events name
held as (

    select
        held.key_kind,
        held.key_value,
        held.first_occurred_at as occurred_at,
        held.loaded_at

    from {{ this }} as held
    inner join (select distinct key_kind, key_value from keyed_events) as named
        on
            held.key_kind = named.key_kind
            and held.key_value = named.key_value

),

{% endif %}

candidates as (

    select * from keyed_events
    {% if is_incremental() %}
        union all
        select * from held
    {% endif %}

),

final as (

    select
        -- ids
        key_kind,
        key_value,

        -- timestamps
        min(occurred_at) as first_occurred_at,
        -- the latest load of the events taken in: the next run takes those loaded later
        max(loaded_at) as loaded_at

    from candidates
    group by key_kind, key_value

)

select * from final
