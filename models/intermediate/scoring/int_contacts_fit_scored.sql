-- One row per contact: its ICP fit, the points of its company's firmographics plus the points of
-- its persona (seniority, department), kept within 0-100, with its grade and whether it is in
-- the ICP (per the `icp_grade_bands` seed).
with

contacts as (

    select contact_id from {{ ref('int_contacts_deduplicated') }}

),

companies_matched as (

    select
        contact_id,
        company_id

    from {{ ref('int_contacts_matched_to_companies') }}

),

company_points as (

    select
        company_id,
        company_fit_points

    from {{ ref('int_companies_fit_scored') }}

),

persona_criteria_met as (

    select
        subject_id as contact_id,
        points

    from {{ ref('int_fit_criteria_matched') }}
    where subject = 'contact'

),

bands as (

    select * from {{ ref('int_icp_grade_bands_ranged') }}

),

person_points as (

    select
        contact_id,
        cast(sum(points) as integer) as person_fit_points

    from persona_criteria_met
    group by contact_id

),

contacts_scored as (

    select
        contacts.contact_id,
        companies_matched.company_id,
        coalesce(company_points.company_fit_points, 0) as company_fit_points,
        coalesce(person_points.person_fit_points, 0) as person_fit_points

    from contacts
    left join companies_matched
        on contacts.contact_id = companies_matched.contact_id
    left join company_points
        on companies_matched.company_id = company_points.company_id
    left join person_points
        on contacts.contact_id = person_points.contact_id

),

contacts_clamped as (

    select
        *,
        cast(least(greatest(company_fit_points + person_fit_points, 0), 100) as integer) as icp_fit_score

    from contacts_scored

),

final as (

    select
        contacts_clamped.contact_id,
        contacts_clamped.company_id,
        contacts_clamped.company_fit_points,
        contacts_clamped.person_fit_points,
        contacts_clamped.icp_fit_score,
        bands.grade as icp_fit_grade,
        coalesce(bands.is_icp, false) as is_icp

    from contacts_clamped
    left join bands
        on
            contacts_clamped.icp_fit_score >= bands.min_score
            and contacts_clamped.icp_fit_score < bands.max_score

)

select * from final
