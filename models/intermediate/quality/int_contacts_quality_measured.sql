-- The contacts' part of the base quality scorecard: contacts are checked as source records (what
-- the exports hold), each in its version valid on the as-of day, completed with the company their
-- person was matched to and whether that person is past its retention period; per lead source
-- and overall (`all`).
{% set checks = [
    ('completeness', 'email_missing', 'email'),
    ('completeness', 'job_title_missing', 'job_title'),
    ('completeness', 'seniority_missing', 'seniority'),
    ('completeness', 'country_missing', 'country_code'),
    ('completeness', 'industry_missing', 'industry'),
    ('completeness', 'size_missing', 'employee_count'),
    ('validity', 'email_invalid', 'email'),
    ('validity', 'seniority_not_canonical', 'seniority'),
    ('validity', 'department_not_canonical', 'department'),
    ('validity', 'country_not_iso', 'country_code'),
    ('uniqueness', 'duplicate_email', 'email'),
    ('freshness', 'not_updated_12_months', 'updated_at'),
    ('matching', 'company_not_matched', 'company_id'),
    ('retention', 'past_retention', 'retention_ends_at'),
] %}

with

companies as (

    select * from {{ ref('int_companies_as_of') }}

),

contacts as (

    select * from {{ ref('int_contacts_as_of') }}

),

contact_ids as (

    select * from {{ ref('int_contact_ids_mapped') }}

),

contacts_matched as (

    select * from {{ ref('int_contacts_matched_to_companies') }}
    where is_current

),

retention as (

    select * from {{ ref('int_contacts_retention_dated') }}

),

canonical_values as (

    {{ b2b_funnel.canonical_values() }}

),

contacts_ranked as (

    select
        contacts.*,
        row_number() over (
            partition by contacts.email order by contacts.created_at, contacts.contact_id
        ) as email_rank

    from contacts

),

contacts_with_companies as (

    select
        contacts.*,
        contacts_matched.company_id as matched_company_id,
        companies.industry as company_industry,
        companies.employee_count as company_employee_count,
        retention.is_past_retention,
        contact_ids.contact_id is not null as is_known_on_as_of_day

    from contacts_ranked as contacts
    left join contact_ids
        on contacts.contact_id = contact_ids.source_contact_id
    left join contacts_matched
        on contact_ids.contact_id = contacts_matched.contact_id
    left join companies
        on contacts_matched.company_id = companies.company_id
    left join retention
        on contact_ids.contact_id = retention.contact_id

),

contacts_checked as (

    select
        coalesce(contacts.lead_source, 'unknown') as lead_source,
        contacts.email is null as email_missing,
        contacts.job_title is null as job_title_missing,
        coalesce(contacts.seniority = 'unknown', true) as seniority_missing,
        contacts.country_code is null as country_missing,
        case when contacts.is_known_on_as_of_day then contacts.company_industry is null end as industry_missing,
        case when contacts.is_known_on_as_of_day then contacts.company_employee_count is null end as size_missing,
        case when contacts.email is not null then not contacts.is_valid_email end as email_invalid,
        case
            when contacts.seniority is not null then seniorities.canonical_value is null
        end as seniority_not_canonical,
        case
            when contacts.department is not null then departments.canonical_value is null
        end as department_not_canonical,
        case when contacts.country_code is not null then countries.canonical_value is null end as country_not_iso,
        case when contacts.email is not null then contacts.email_rank > 1 end as duplicate_email,
        -- B2B data decays about a fifth a year: a record untouched for `stale_after_months` is stale
        coalesce(
            coalesce(contacts.updated_at, contacts.created_at) < {{ b2b_funnel.stale_before_at() }}, true
        ) as not_updated_12_months,
        case when contacts.is_known_on_as_of_day then contacts.matched_company_id is null end as company_not_matched,
        -- the person's retention period ended: `funnel retention` erases it
        case when contacts.is_known_on_as_of_day then coalesce(contacts.is_past_retention, false) end as past_retention

    from contacts_with_companies as contacts
    left join canonical_values as seniorities
        on
            seniorities.vocabulary = 'seniority'
            and contacts.seniority = seniorities.canonical_value
    left join canonical_values as departments
        on
            departments.vocabulary = 'department'
            and contacts.department = departments.canonical_value
    left join canonical_values as countries
        on
            countries.vocabulary = 'country'
            and contacts.country_code = countries.canonical_value

),

-- each contact counts once for its lead source and once overall
contacts_flagged as (

    select
        lead_source as record_source,
        {% for dimension, check, field_name in checks %}
            {{ check }}{% if not loop.last %},{% endif %}
        {% endfor %}

    from contacts_checked

    union all

    select
        'all' as record_source,
        {% for dimension, check, field_name in checks %}
            {{ check }}{% if not loop.last %},{% endif %}
        {% endfor %}

    from contacts_checked

),

measured as (

    {{ b2b_funnel.quality_checks_measured('contacts', checks, 'contacts_flagged') }}

)

select * from measured
