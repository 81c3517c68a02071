with

source as (

    select * from {{ source('landing', 'opportunities') }}

),

-- an opportunity is exported again as it moves: the latest load of an opportunity_id is kept
loads_ranked as (

    select
        *,
        row_number() over (
            partition by opportunity_id
            order by _loaded_at desc, _file_path desc, _line_number desc
        ) as load_rank

    from source

),

renamed as (

    select
        -- ids
        trim(opportunity_id) as opportunity_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ clean_text('company_id') }} as company_id,

        -- strings
        {{ normalize_vocabulary('stage') }} as opportunity_stage,

        -- numerics
        amount_eur,

        -- booleans
        coalesce(is_won, false) as is_won,
        closed_at is not null as is_closed,

        -- timestamps
        created_at,
        closed_at,
        _loaded_at as loaded_at

    from loads_ranked
    where load_rank = 1

)

select * from renamed
