with

source as (

    select * from {{ source('landing', '_opted_out_contacts') }}

),

renamed as (

    select
        -- ids
        contact_id,

        -- timestamps
        listed_at

    from source

)

select * from renamed
