-- One row per company: the points its firmographics earn, and its ICP fit on a 0-100 scale
-- (the points over the most a company can earn, so that a perfect company scores 100).
with

companies as (

    select company_id from {{ ref('int_companies_as_of') }}

),

criteria_met as (

    select
        subject_id as company_id,
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
        cast(sum(points) as integer) as company_fit_points

    from criteria_met
    group by company_id

),

companies_scored as (

    select
        companies.company_id,
        coalesce(company_points.company_fit_points, 0) as company_fit_points,
        least(cast(round(
            100.0 * greatest(coalesce(company_points.company_fit_points, 0), 0)
            / nullif(max_company_points.max_points, 0)
        ) as integer), 100) as icp_fit_score

    from companies
    cross join max_company_points
    left join company_points
        on companies.company_id = company_points.company_id

),

final as (

    select
        companies_scored.company_id,
        companies_scored.company_fit_points,
        companies_scored.icp_fit_score,
        bands.grade as icp_fit_grade

    from companies_scored
    left join bands
        on
            companies_scored.icp_fit_score >= bands.min_score
            and companies_scored.icp_fit_score < bands.max_score

)

select * from final
