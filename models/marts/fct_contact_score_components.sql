{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='replace_persons',
        on_schema_change='fail',
        meta={
            'materialized_because': (
                'a row per contact and ICP criterion met (5.5 M at 1 M contacts), of which a day'
                ' changes those of a few persons: incremental by person (int_contact_grain_changes);'
                ' the engagement rows (about half the table) change every day with the decay and'
                ' are computed whole each run'
            ),
            'rows_of_no_person': "score = 'engagement'",
        },
    )
}}
-- depends_on: {{ ref('int_contact_grain_changes') }}

-- What made each contact's scores: one row per contact and component. For `icp_fit`, each ICP
-- criterion its company or persona met, with its points (plus a `fit_bounds` row when the sum had
-- to be brought within 0-100); for `engagement`, each event type the contact engaged by, with the
-- points its events still carry on the as-of day after caps and decay. Per contact and score,
-- the points sum to the score in dim_contacts (which sums these rows for the engagement score).
-- fct_engagement_events lists the events themselves.
--
-- Incremental by person on DuckDB (macros/incremental.sql): a contact's fit rows depend on its
-- current epoch's fit and company, and on the criteria it and its company meet, all of which
-- int_contact_grain_changes follows; a run computes the fit rows of the persons it found
-- changed, and every engagement row: the events are read once a build, three columns of them.
with

contacts as (

    select
        contact_id,
        company_id,
        icp_fit_score

    from {{ ref('int_contacts_fit_scored') }}
    where is_current and {{ b2b_funnel.is_person_to_rebuild('contact_id') }}

),

criteria_met as (

    select * from {{ ref('int_fit_criteria_matched') }}
    where is_current

),

events as (

    select
        contact_id,
        event_type,
        points,
        is_capped,
        occurred_at

    from {{ ref('fct_engagement_events') }}

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
        cast(null as {{ dbt.type_bigint() }}) as event_count,
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
        cast(null as {{ dbt.type_bigint() }}) as event_count,
        cast(0 as double) as base_points,
        contacts.icp_fit_score - coalesce(fit_totals.points, 0) as points

    from contacts
    left join fit_totals
        on contacts.contact_id = fit_totals.contact_id
    where contacts.icp_fit_score != coalesce(fit_totals.points, 0)

),

events_per_type as (

    select
        contact_id,
        event_type,
        count(*) as event_count,
        sum(case when is_capped then 1 else 0 end) as capped_count,
        max(occurred_at) as last_occurred_at,
        sum(points) as points,
        -- summed as exact decimals (each term to 1e-12): a float sum's last digits depend on the
        -- order the engine adds the rows in, and must not differ between two builds or engines
        sum(cast({{ decayed_to_as_of('points', 'occurred_at') }} as decimal(38, 12))) as decayed_points

    from events
    group by contact_id, event_type

),

engagement_components as (

    select
        contact_id,
        'engagement' as score,
        event_type as component_id,
        event_type as component,
        -- "3 events, 1 over the period limit"
        cast(event_count as {{ dbt.type_string() }})
        || case when event_count = 1 then ' event' else ' events' end
        || case
            when capped_count > 0
                then ', ' || cast(capped_count as {{ dbt.type_string() }}) || ' over the period limit'
            else ''
        end as detail,
        last_occurred_at as occurred_at,
        event_count,
        cast(points as double) as base_points,
        cast(decayed_points as double) as points

    from events_per_type

),

components as (

    select * from fit_components
    union all
    select * from fit_bounds
    union all
    select * from engagement_components

),

final as (

    select
        *,
        {{ build_started_at() }} as built_at

    from components

)

select * from final
