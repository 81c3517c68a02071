with

source as (

    select * from {{ source('landing', '_load_manifest') }}

),

renamed as (

    select
        -- ids
        load_id,
        content_hash,

        -- strings
        entity,
        file_path,
        file_name,
        status as load_status,
        reason,
        file_format,

        -- numerics
        file_size,
        rows_read,
        rows_loaded,
        rows_quarantined,

        -- timestamps
        started_at,
        finished_at

    from source

)

select * from renamed
