with

source as (

    select * from {{ source('landing', 'sales_activities') }}

),

vocabulary as (

    select * from {{ ref('vocabulary_synonyms') }}

),

-- the same activity can arrive in two exports: the latest load of an activity_id is kept
loads_ranked as (

    select
        *,
        row_number() over (
            partition by activity_id
            order by _loaded_at desc, _file_path desc, _line_number desc
        ) as load_rank

    from source

),

renamed as (

    select
        -- ids
        trim(activity.activity_id) as activity_id,
        trim(activity.contact_id) as contact_id,

        -- strings
        coalesce(activity_types.canonical_value, {{ normalize_vocabulary('activity.activity_type') }}) as activity_type,
        coalesce(outcomes.canonical_value, {{ normalize_vocabulary('activity.outcome') }}) as outcome,
        {{ clean_text('activity.disqualification_reason') }} as disqualification_reason,
        {{ clean_text('activity.owner') }} as owner,

        -- booleans
        coalesce(activity.need_identified, false) as has_need_identified,
        coalesce(activity.budget_confirmed, false) as has_budget_confirmed,
        coalesce(activity.decision_capacity, false) as has_decision_capacity,
        activity_types.canonical_value is not null as is_known_activity_type,

        -- timestamps
        activity.occurred_at,
        activity._loaded_at as loaded_at

    from loads_ranked as activity
    left join vocabulary as activity_types
        on
            activity_types.domain = 'activity_type'
            and activity_types.synonym = {{ normalize_vocabulary('activity.activity_type') }}
    left join vocabulary as outcomes
        on
            outcomes.domain = 'outcome'
            and outcomes.synonym = {{ normalize_vocabulary('activity.outcome') }}
    where activity.load_rank = 1

)

select * from renamed
