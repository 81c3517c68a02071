-- One row per company and period (int_company_periods): the points its firmographics earn in
-- that period, and its ICP fit on a 0-100 scale (the points over the most a company can earn,
-- so that a perfect company scores 100). The current period is the company on the as-of day.
with

companies as (

    select
        company_id,
        period_number,
        valid_from_at,
        valid_to_at,
        is_current

    from {{ ref('int_company_periods') }}

),

criteria_met as (

    select
        subject_id as company_id,
        period_number,
        points

    from {{ ref('int_fit_criteria_matched') }}
    where subject = 'company'

),

criteria as (

    select
        criterion,
        points

    from {{ ref('icp_criteria') }}
    where subject = 'company'

),

bands as (

    select * from {{ ref('int_icp_grade_bands_ranged') }}

),

best_points_per_criterion as (

    select
        criterion,
        max(points) as max_points

    from criteria
    group by criterion

),

max_company_points as (

    select sum(max_points) as max_points from best_points_per_criterion

),

company_points as (

    select
        company_id,
        period_number,
        cast(sum(points) as integer) as company_fit_points

    from criteria_met
    group by company_id, period_number

),

companies_scored as (

    select
        companies.*,
        coalesce(company_points.company_fit_points, 0) as company_fit_points,
        least(cast(round(
            100.0 * greatest(coalesce(company_points.company_fit_points, 0), 0)
            / nullif(max_company_points.max_points, 0)
        ) as integer), 100) as icp_fit_score

    from companies
    cross join max_company_points
    left join company_points
        on
            companies.company_id = company_points.company_id
            and companies.period_number = company_points.period_number

),

final as (

    select
        -- ids
        companies_scored.company_id,

        -- strings
        bands.grade as icp_fit_grade,

        -- numerics
        companies_scored.period_number,
        companies_scored.company_fit_points,
        companies_scored.icp_fit_score,

        -- booleans
        companies_scored.is_current,

        -- timestamps
        companies_scored.valid_from_at,
        companies_scored.valid_to_at

    from companies_scored
    left join bands
        on
            companies_scored.icp_fit_score >= bands.min_score
            and (companies_scored.icp_fit_score < bands.max_score or bands.max_score is null)

)

select * from final
