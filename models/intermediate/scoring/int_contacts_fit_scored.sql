{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='replace_persons',
        meta={'materialized_because': (
            'a row per person and fit period (a million at 1 M contacts), of which a day changes a'
            ' few: incremental by person (int_contact_grain_changes)'
        )},
    )
}}
-- depends_on: {{ ref('int_contact_grain_changes') }}

-- One row per contact and fit period: a span over which its ICP fit and its segment stay the
-- same - one of its epochs (int_contact_epochs: persona, company, lead source) cut by the
-- periods of its company's fit (int_companies_fit_scored). Its fit is the points of its
-- company's firmographics plus the points of its persona (seniority, department), kept within
-- 0-100, with its grade and whether it is in the ICP (per the `icp_grade_bands` seed). The first
-- period is valid from the beginning of time; the current one (`is_current`) is the contact on
-- the as-of day, the others let the funnel evaluate each instant with the fit known then.
-- Incremental by person on DuckDB (macros/incremental.sql): a run computes the persons
-- int_contact_grain_changes found changed, and keeps the others' rows.
with

epochs as (

    select
        contact_id,
        epoch_number,
        valid_from_at,
        valid_to_at,
        lead_source

    from {{ ref('int_contact_epochs') }}
    where {{ b2b_funnel.is_person_to_rebuild('contact_id') }}

),

companies_matched as (

    select
        contact_id,
        epoch_number,
        company_id

    from {{ ref('int_contacts_matched_to_companies') }}
    where {{ b2b_funnel.is_person_to_rebuild('contact_id') }}

),

company_periods as (

    select
        company_id,
        company_fit_points,
        valid_from_at,
        valid_to_at

    from {{ ref('int_companies_fit_scored') }}

),

persona_criteria_met as (

    select
        subject_id as contact_id,
        period_number as epoch_number,
        points

    from {{ ref('int_fit_criteria_matched') }}
    where subject = 'contact' and {{ b2b_funnel.is_person_to_rebuild('subject_id') }}

),

bands as (

    select * from {{ ref('int_icp_grade_bands_ranged') }}

),

person_points as (

    select
        contact_id,
        epoch_number,
        cast(sum(points) as integer) as person_fit_points

    from persona_criteria_met
    group by contact_id, epoch_number

),

-- each epoch, cut where its company's fit changes (an epoch without a company stays whole)
periods as (

    select
        epochs.contact_id,
        epochs.epoch_number,
        epochs.lead_source,
        companies_matched.company_id,
        coalesce(company_periods.company_fit_points, 0) as company_fit_points,
        coalesce(person_points.person_fit_points, 0) as person_fit_points,
        greatest(epochs.valid_from_at, company_periods.valid_from_at) as valid_from_at,
        least(epochs.valid_to_at, company_periods.valid_to_at) as valid_to_at

    from epochs
    left join companies_matched
        on
            epochs.contact_id = companies_matched.contact_id
            and epochs.epoch_number = companies_matched.epoch_number
    left join company_periods
        on
            companies_matched.company_id = company_periods.company_id
            and {{ periods_overlap(
                'epochs.valid_from_at', 'epochs.valid_to_at', 'company_periods.valid_from_at', 'company_periods.valid_to_at'
            ) }}
    left join person_points
        on
            epochs.contact_id = person_points.contact_id
            and epochs.epoch_number = person_points.epoch_number

),

periods_scored as (

    select
        *,
        cast(least(greatest(company_fit_points + person_fit_points, 0), 100) as integer) as icp_fit_score

    from periods

),

final as (

    select
        -- ids
        periods_scored.contact_id,
        periods_scored.company_id,

        -- strings
        bands.grade as icp_fit_grade,
        periods_scored.lead_source,

        -- numerics
        row_number() over (
            partition by periods_scored.contact_id order by periods_scored.valid_from_at nulls first
        ) as fit_period_number,
        periods_scored.epoch_number,
        periods_scored.company_fit_points,
        periods_scored.person_fit_points,
        periods_scored.icp_fit_score,

        -- booleans
        coalesce(bands.is_icp, false) as is_icp,
        periods_scored.valid_to_at is null as is_current,

        -- timestamps
        periods_scored.valid_from_at,
        periods_scored.valid_to_at,
        {{ build_started_at() }} as built_at

    from periods_scored
    left join bands
        on
            periods_scored.icp_fit_score >= bands.min_score
            and (periods_scored.icp_fit_score < bands.max_score or bands.max_score is null)

)

select * from final
