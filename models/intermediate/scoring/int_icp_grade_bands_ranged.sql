-- The ICP grade bands of the `icp_grade_bands` seed as score ranges [min_score, max_score).
with

bands as (

    select * from {{ ref('icp_grade_bands') }}

),

final as (

    select
        grade,
        min_score,
        coalesce(lead(min_score) over (order by min_score), 1000000) as max_score,
        is_icp

    from bands

)

select * from final
