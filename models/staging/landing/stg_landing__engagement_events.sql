{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        meta={'materialized_because': (
            'tens of millions of events: as a view, its dedup would run again for every'
            ' reader (intermediate models, dbt tests, quality suites); incremental, because'
            ' raw events are only ever appended'
        )},
    )
}}

-- Scale: values are normalised straight off the raw table, before anything reorders its rows,
-- so that the engine can normalise each distinct value of a column once rather than every row
-- (columns like event_type hold a few dozen values over tens of millions of rows). Then only
-- the event ids seen more than once are ranked: a hash aggregate finds them, where ranking every
-- event would sort them all.
--
-- Incremental: a run appends the events loaded since the latest it holds, less those whose id
-- it already holds. A forgotten delivery or a new vocabulary needs a full refresh, which
-- `funnel run` decides by itself (orchestration/dbt_builds.py).
with

source as (

    select * from {{ source('landing', 'engagement_events') }}
    {% if is_incremental() -%}
        where _loaded_at > (select coalesce(max(loaded_at), {{ earliest_timestamp() }}) from {{ this }})
    {%- endif %}

),

vocabulary as (

    select * from {{ ref('vocabulary_synonyms') }}

),

renamed as (

    select
        -- ids
        trim(source_event.event_id) as event_id,
        {{ clean_text('source_event.contact_id') }} as contact_id,

        -- strings
        coalesce(event_types.canonical_value, {{ normalize_vocabulary('source_event.event_type') }}) as event_type,
        {{ normalize_email('source_event.email') }} as email,
        {{ normalize_vocabulary('source_event.channel') }} as channel,
        {{ clean_text('source_event.campaign') }} as campaign,
        {{ clean_text('source_event.asset') }} as asset,
        {{ clean_text('source_event.url') }} as url,

        -- booleans
        event_types.canonical_value is not null as is_known_event_type,

        -- timestamps
        source_event.occurred_at,
        source_event._loaded_at as loaded_at,

        -- where the row was loaded from, to keep an event's first load
        source_event._file_path as file_path,
        source_event._line_number as line_number

    from source as source_event
    left join vocabulary as event_types
        on
            event_types.domain = 'event_type'
            and event_types.synonym = {{ normalize_vocabulary('source_event.event_type') }}

),

-- the same event can arrive in two exports: the first load of an event id is kept
repeated_event_ids as (

    select event_id
    from renamed
    group by event_id
    having count(*) > 1

),

repeated_loads_ranked as (

    select
        renamed.event_id,
        renamed.file_path,
        renamed.line_number,
        row_number() over (
            partition by renamed.event_id
            order by renamed.loaded_at, renamed.file_path, renamed.line_number
        ) as load_rank

    from renamed
    inner join repeated_event_ids
        on renamed.event_id = repeated_event_ids.event_id

),

later_loads as (

    select
        event_id,
        file_path,
        line_number

    from repeated_loads_ranked
    where load_rank > 1

),

final as (

    select
        renamed.event_id,
        renamed.contact_id,
        renamed.event_type,
        renamed.email,
        renamed.channel,
        renamed.campaign,
        renamed.asset,
        renamed.url,
        renamed.is_known_event_type,
        renamed.occurred_at,
        renamed.loaded_at,
        -- the build that appended the row: its tests read what the latest build appended
        {{ build_started_at() }} as built_at

    from renamed
    left join later_loads
        on
            renamed.event_id = later_loads.event_id
            and renamed.file_path = later_loads.file_path
            and renamed.line_number = later_loads.line_number
    {% if is_incremental() -%}
        -- an event this table already holds came in an earlier load
        left join {{ this }} as loaded_before
            on renamed.event_id = loaded_before.event_id
    {%- endif %}
    where
        later_loads.event_id is null
    {% if is_incremental() -%}
            and loaded_before.event_id is null
        {%- endif %}

)

select * from final
