-- The words people read for the codes of the public tables, in English and French: the
-- `report_labels` seed as a public table, so that the leadership report (which reads the
-- published copy) and BI show the same labels. One row per kind of code and code.
with

labels as (

    select
        kind,
        code,
        label_en,
        label_fr

    from {{ ref('report_labels') }}

),

final as (

    select
        -- strings
        kind,
        code,
        label_en,
        label_fr

    from labels

)

select * from final
