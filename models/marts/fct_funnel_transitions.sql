with

timeline as (

    select * from {{ ref('int_contact_stage_timeline') }}

),

final as (

    select
        -- ids
        contact_id,

        -- strings
        stage,
        from_stage,

        -- numerics
        transition_number,
        stage_entry_number,

        -- booleans
        is_inferred,

        -- timestamps
        entered_at,
        exited_at

    from timeline

)

select * from final
