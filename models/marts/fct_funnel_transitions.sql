with

timeline as (

    select * from {{ ref('int_contact_stage_timeline') }}

),

final as (

    select
        contact_id,
        stage,
        entered_at,
        is_inferred

    from timeline
    where not is_reentry

)

select * from final
