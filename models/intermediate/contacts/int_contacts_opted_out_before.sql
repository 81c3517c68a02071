-- One row per contact one of whose source records was on the suppression list as opted out by
-- the end of the as-of day (`stg_landing__opted_out_contacts`: the load lists a record that is
-- opted out itself, or whose email or contact id the list holds as opted out). An opted-out
-- person never becomes contactable again, whatever a later record of them says: a new record
-- under another id, a delivery that lost the flag, a warehouse rebuilt from landing files that
-- no longer hold the opt-out (the list lives in FUNNEL_HOME/privacy, docs/privacy.md).
with

listed as (

    select
        contact_id,
        listed_at

    from {{ ref('stg_landing__opted_out_contacts') }}
    where listed_at < {{ as_of_at() }}

),

contact_ids as (

    select
        source_contact_id,
        contact_id

    from {{ ref('int_contact_ids_mapped') }}

),

final as (

    select
        contact_ids.contact_id,
        min(listed.listed_at) as first_listed_at

    from listed
    inner join contact_ids
        on listed.contact_id = contact_ids.source_contact_id
    group by contact_ids.contact_id

)

select * from final
