-- One row per sales activity dated from the date floor (var `earliest_plausible_date`) up to the
-- as-of day, re-pointed to the surviving contact, with
-- whether it qualifies an SQL: a qualifying activity type (var `sql_activity_types`) that
-- recorded a need, a budget and the contact's part in the buying decision, and whose outcome is
-- not `disqualified` (sales saying no never makes an SQL, whatever the flags say).
with

activities as (

    select * from {{ ref('stg_landing__sales_activities') }}

),

contact_ids as (

    select
        source_contact_id,
        contact_id

    from {{ ref('int_contact_ids_mapped') }}

),

activities_flagged as (

    select
        activities.activity_id,
        contact_ids.contact_id,
        activities.activity_type,
        activities.outcome,
        activities.disqualification_reason,
        coalesce(activities.outcome = 'disqualified', false) as is_disqualifying,
        activities.activity_type in (
            {%- for activity_type in var('sql_activity_types') %}
                '{{ activity_type }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )
        and activities.has_need_identified
        and activities.has_budget_confirmed
        and activities.has_decision_capacity as meets_sql_criteria,
        activities.occurred_at

    from activities
    inner join contact_ids
        on activities.contact_id = contact_ids.source_contact_id
    where not {{ outside_plausible_dates('activities.occurred_at') }}

),

final as (

    select
        activity_id,
        contact_id,
        activity_type,
        outcome,
        disqualification_reason,
        meets_sql_criteria and not is_disqualifying as is_sql_qualifying,
        is_disqualifying,
        occurred_at

    from activities_flagged

)

select * from final
