with

source as (

    select * from {{ source('landing', '_quarantine') }}

),

renamed as (

    select
        -- ids
        load_id,

        -- strings
        entity,
        file_path,
        reason_kind,
        reason,
        raw_record,

        -- numerics
        line_number,

        -- timestamps
        quarantined_at

    from source

)

select * from renamed
