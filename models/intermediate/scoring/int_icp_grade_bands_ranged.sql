-- The ICP grade bands of the `icp_grade_bands` seed as score ranges [min_score, max_score); the
-- top band has no upper bound (null max_score).
with

bands as (

    select * from {{ ref('icp_grade_bands') }}

),

final as (

    select
        grade,
        min_score,
        lead(min_score) over (order by min_score) as max_score,
        is_icp

    from bands

)

select * from final
