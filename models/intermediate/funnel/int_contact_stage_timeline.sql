-- Every entry of a contact into a funnel state, in order: one row per contact, state and entry.
-- The funnel stages come once each; a recycled MQL that requalifies enters `mql` again; nothing
-- follows `customer`. Sales' word stands: after a disqualification, marketing entries (lead,
-- MQL, recycled, ...) are kept as history but do not change the contact's state; only a new SQL
-- or opportunity does. The last state change is the contact's current `funnel_stage`.
with

staged as (

    select * from {{ ref('int_contacts_staged') }}

),

contacts as (

    select
        contact_id,
        created_at

    from {{ ref('int_contacts_deduplicated') }}

),

{% set funnel_stages = ['prospect', 'lead', 'mql', 'sql', 'opportunity', 'customer'] %}
entries as (

    select
        staged.contact_id,
        'out_of_target' as stage,
        0 as stage_order,
        contacts.created_at as entered_at,
        false as is_inferred,
        false as is_reentry

    from staged
    inner join contacts
        on staged.contact_id = contacts.contact_id
    where
        not staged.is_icp
        and contacts.created_at is not null
        and (staged.prospect_at is null or contacts.created_at < staged.prospect_at)

    {% for stage in funnel_stages %}
        union all

        select
            contact_id,
            '{{ stage }}' as stage,
            {{ loop.index }} as stage_order,
            {{ stage }}_at as entered_at,
            {% if stage == 'customer' %}false{% else %}is_{{ stage }}_inferred{% endif %} as is_inferred,
            false as is_reentry

        from staged
        where {{ stage }}_at is not null
    {% endfor %}

    union all

    select
        contact_id,
        'recycled' as stage,
        7 as stage_order,
        recycled_at as entered_at,
        false as is_inferred,
        false as is_reentry

    from staged
    where recycled_at is not null

    union all

    select
        contact_id,
        'mql' as stage,
        3 as stage_order,
        requalified_at as entered_at,
        false as is_inferred,
        true as is_reentry

    from staged
    where requalified_at is not null and (sql_at is null or requalified_at < sql_at)

    union all

    select
        contact_id,
        'disqualified' as stage,
        8 as stage_order,
        disqualified_at as entered_at,
        false as is_inferred,
        false as is_reentry

    from staged
    where disqualified_at is not null and (customer_at is null or disqualified_at < customer_at)

),

entries_in_order as (

    select
        *,
        max(case when stage = 'disqualified' then entered_at end) over by_contact_so_far
            as last_disqualified_at,
        max(case when stage in ('sql', 'opportunity', 'customer') then entered_at end) over by_contact_so_far
            as last_sales_stage_at

    from entries
    window by_contact_so_far as (
        partition by contact_id
        order by entered_at, stage_order
        rows between unbounded preceding and current row
    )

),

entries_flagged as (

    select
        contact_id,
        stage,
        stage_order,
        entered_at,
        is_inferred,
        is_reentry,
        not(
            stage in ('out_of_target', 'prospect', 'lead', 'mql', 'recycled')
            and last_disqualified_at is not null
            and (last_sales_stage_at is null or last_disqualified_at >= last_sales_stage_at)
        ) as is_state_change

    from entries_in_order

),

final as (

    select
        *,
        case
            when is_state_change
                then lead(entered_at) over (
                        partition by contact_id, is_state_change order by entered_at, stage_order
                    )
        end as left_at

    from entries_flagged

)

select * from final
