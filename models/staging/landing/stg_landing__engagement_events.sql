{{
    config(
        materialized='table',
        meta={'materialized_because': (
            'tens of millions of events: as a view, its dedup window would run again for every'
            ' reader (intermediate models, dbt tests, quality suites)'
        )},
    )
}}

with

source as (

    select * from {{ source('landing', 'engagement_events') }}

),

vocabulary as (

    select * from {{ ref('vocabulary_synonyms') }}

),

-- the same event can arrive in two exports: the first load of an event_id is kept
loads_ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by _loaded_at, _file_path, _line_number
        ) as load_rank

    from source

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
        source_event._loaded_at as loaded_at

    from loads_ranked as source_event
    left join vocabulary as event_types
        on
            event_types.domain = 'event_type'
            and event_types.synonym = {{ normalize_vocabulary('source_event.event_type') }}
    where source_event.load_rank = 1

)

select * from renamed
