-- What made each contact's scores: one row per contact and component. For `icp_fit`, each ICP
-- criterion its company or persona met, with its points (plus a `fit_bounds` row when the sum had
-- to be brought within 0-100); for `engagement`, each accepted event with the points it still
-- carries on the as-of day after decay and caps. Per contact and score, the points sum to the
-- score in dim_contacts.
with

contacts as (

    select
        contact_id,
        company_id,
        icp_fit_score

    from {{ ref('int_contacts_fit_scored') }}
    where is_current

),

criteria_met as (

    select * from {{ ref('int_fit_criteria_matched') }}
    where is_current

),

events as (

    select * from {{ ref('fct_engagement_events') }}

),

-- company criteria reach a contact through its company, persona criteria directly
criteria_per_contact as (

    select
        contacts.contact_id,
        criteria_met.*

    from contacts
    inner join criteria_met
        on contacts.company_id = criteria_met.subject_id
    where criteria_met.subject = 'company'

    union all

    select
        contacts.contact_id,
        criteria_met.*

    from contacts
    inner join criteria_met
        on contacts.contact_id = criteria_met.subject_id
    where criteria_met.subject = 'contact'

),

fit_components as (

    select
        contact_id,
        'icp_fit' as score,
        {{ dbt.concat(["subject", "':'", "criterion"]) }} as component_id,
        criterion as component,
        {{ dbt.concat(["attribute", "' = '", "attribute_value"]) }} as detail,
        cast(null as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(points as double) as base_points,
        cast(points as double) as points

    from criteria_per_contact

),

fit_totals as (

    select
        contact_id,
        sum(points) as points

    from fit_components
    group by contact_id

),

fit_bounds as (

    select
        contacts.contact_id,
        'icp_fit' as score,
        'fit_bounds' as component_id,
        'fit_bounds' as component,
        'points brought within 0-100' as detail,
        cast(null as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(0 as double) as base_points,
        contacts.icp_fit_score - coalesce(fit_totals.points, 0) as points

    from contacts
    left join fit_totals
        on contacts.contact_id = fit_totals.contact_id
    where contacts.icp_fit_score != coalesce(fit_totals.points, 0)

),

engagement_components as (

    select
        contact_id,
        'engagement' as score,
        event_id as component_id,
        event_type as component,
        case when is_capped then 'capped: over the period limit' end as detail,
        occurred_at,
        cast(base_points as double) as base_points,
        decayed_points as points

    from events

),

final as (

    select * from fit_components
    union all
    select * from fit_bounds
    union all
    select * from engagement_components

)

select * from final
