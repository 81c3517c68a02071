-- The B2B base quality scorecard: per entity and check, how many records were checked and how many
-- failed, per source (contacts: their lead source) and overall (`all`). Each `<entity>_flagged`
-- CTE holds one boolean per check: true when the record fails it, false when it passes, null when
-- the check does not apply to it (validity of an email that is missing). The checks are listed
-- once, in `checks`, and unpivoted into rows at the end.
{% set checks = {
    'companies': [
        ('completeness', 'domain_missing', 'domain'),
        ('completeness', 'industry_missing', 'industry'),
        ('completeness', 'size_missing', 'employee_count'),
        ('completeness', 'country_missing', 'country_code'),
        ('validity', 'domain_invalid', 'domain'),
        ('validity', 'country_not_iso', 'country_code'),
        ('validity', 'size_out_of_range', 'employee_count'),
        ('validity', 'revenue_out_of_range', 'annual_revenue_eur'),
        ('uniqueness', 'duplicate_domain', 'domain'),
        ('freshness', 'not_updated_12_months', 'updated_at'),
    ],
    'contacts': [
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
    ],
    'engagement_events': [
        ('validity', 'event_type_unknown', 'event_type'),
        ('validity', 'occurred_at_out_of_range', 'occurred_at'),
        ('matching', 'contact_unknown', 'contact_id'),
    ],
    'sales_activities': [
        ('validity', 'activity_type_unknown', 'activity_type'),
        ('validity', 'outcome_unknown', 'outcome'),
        ('validity', 'occurred_at_out_of_range', 'occurred_at'),
        ('matching', 'contact_unknown', 'contact_id'),
    ],
    'opportunities': [
        ('validity', 'amount_out_of_range', 'amount_eur'),
        ('matching', 'contact_and_company_unknown', 'contact_id'),
    ],
} %}

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

contact_emails as (

    select * from {{ ref('int_contact_emails_mapped') }}

),

contacts_matched as (

    select * from {{ ref('int_contacts_matched_to_companies') }}
    where is_current

),

engagement_events as (

    select * from {{ ref('stg_landing__engagement_events') }}

),

sales_activities as (

    select * from {{ ref('stg_landing__sales_activities') }}

),

opportunities as (

    select * from {{ ref('stg_landing__opportunities') }}

),

file_loads as (

    select * from {{ ref('stg_landing__file_loads') }}

),

quarantined_rows as (

    select * from {{ ref('stg_landing__quarantined_rows') }}

),

vocabulary as (

    select * from {{ ref('vocabulary_synonyms') }}

),

canonical_values as (

    select distinct
        domain as vocabulary,
        canonical_value

    from vocabulary

),

-- B2B data decays about a fifth a year: a record untouched for 12 months is stale
bounds as (

    select
        cast({{ dbt.dateadd('month', -12, b2b_funnel.as_of_date()) }} as {{ dbt.type_timestamp() }})
            as stale_before,
        cast('2000-01-01' as {{ dbt.type_timestamp() }}) as earliest_at,
        {{ b2b_funnel.as_of_at() }} as as_of_end

),

companies_ranked as (

    select
        companies.*,
        row_number() over (partition by companies.domain order by companies.company_id) as domain_rank

    from companies

),

companies_flagged as (

    select
        'all' as record_source,
        companies.domain is null as domain_missing,
        companies.industry is null as industry_missing,
        companies.employee_count is null as size_missing,
        companies.country_code is null as country_missing,
        case
            when companies.domain is not null
                then not {{ b2b_funnel.regexp_full_match(
                    'companies.domain',
                    '[a-z0-9]([a-z0-9-]*[a-z0-9])?([.][a-z0-9]([a-z0-9-]*[a-z0-9])?)*[.][a-z]{2,}'
                ) }}
        end as domain_invalid,
        case when companies.country_code is not null then not companies.is_known_country end as country_not_iso,
        case
            when companies.employee_count is not null
                then companies.employee_count < 1 or companies.employee_count > 5000000
        end as size_out_of_range,
        case
            when companies.annual_revenue_eur is not null
                then companies.annual_revenue_eur < 0 or companies.annual_revenue_eur > 1e13
        end as revenue_out_of_range,
        case when companies.domain is not null then companies.domain_rank > 1 end as duplicate_domain,
        coalesce(companies.updated_at < bounds.stale_before, true) as not_updated_12_months

    from companies_ranked as companies
    cross join bounds

),

-- contacts are checked as source records (what the exports hold), completed with the company
-- their person was matched to
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
        contact_ids.contact_id is not null as is_known_on_as_of_day

    from contacts_ranked as contacts
    left join contact_ids
        on contacts.contact_id = contact_ids.source_contact_id
    left join contacts_matched
        on contact_ids.contact_id = contacts_matched.contact_id
    left join companies
        on contacts_matched.company_id = companies.company_id

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
        coalesce(coalesce(contacts.updated_at, contacts.created_at) < bounds.stale_before, true)
            as not_updated_12_months,
        case when contacts.is_known_on_as_of_day then contacts.matched_company_id is null end as company_not_matched

    from contacts_with_companies as contacts
    cross join bounds
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
        {% for dimension, check, field_name in checks['contacts'] %}
            {{ check }}{% if not loop.last %},{% endif %}
        {% endfor %}

    from contacts_checked

    union all

    select
        'all' as record_source,
        {% for dimension, check, field_name in checks['contacts'] %}
            {{ check }}{% if not loop.last %},{% endif %}
        {% endfor %}

    from contacts_checked

),

-- facts are matched as the funnel attributes them (as known on the as-of day): by a contact_id
-- that names a contact record known then, events also by an email that reaches a contact (its
-- email of the day or a previous one); facts after the as-of day are not checked for matching
engagement_events_flagged as (

    select
        'all' as record_source,
        not engagement_events.is_known_event_type as event_type_unknown,
        coalesce(
            engagement_events.occurred_at < bounds.earliest_at
            or engagement_events.occurred_at >= bounds.as_of_end,
            true
        ) as occurred_at_out_of_range,
        case
            when engagement_events.occurred_at < bounds.as_of_end
                then contact_ids.contact_id is null and contact_emails.contact_id is null
        end as contact_unknown

    from engagement_events
    cross join bounds
    left join contact_ids
        on engagement_events.contact_id = contact_ids.source_contact_id
    left join contact_emails
        on engagement_events.email = contact_emails.email

),

sales_activities_flagged as (

    select
        'all' as record_source,
        activity_types.canonical_value is null as activity_type_unknown,
        case when sales_activities.outcome is not null then outcomes.canonical_value is null end as outcome_unknown,
        coalesce(
            sales_activities.occurred_at < bounds.earliest_at
            or sales_activities.occurred_at >= bounds.as_of_end,
            true
        ) as occurred_at_out_of_range,
        case
            when sales_activities.occurred_at < bounds.as_of_end then contact_ids.contact_id is null
        end as contact_unknown

    from sales_activities
    cross join bounds
    left join canonical_values as activity_types
        on
            activity_types.vocabulary = 'activity_type'
            and sales_activities.activity_type = activity_types.canonical_value
    left join canonical_values as outcomes
        on
            outcomes.vocabulary = 'outcome'
            and sales_activities.outcome = outcomes.canonical_value
    left join contact_ids
        on sales_activities.contact_id = contact_ids.source_contact_id

),

opportunities_flagged as (

    select
        'all' as record_source,
        case when opportunities.amount_eur is not null then opportunities.amount_eur < 0 end as amount_out_of_range,
        case
            when opportunities.created_at < bounds.as_of_end
                then contact_ids.contact_id is null and companies.company_id is null
        end as contact_and_company_unknown

    from opportunities
    cross join bounds
    left join contact_ids
        on opportunities.contact_id = contact_ids.source_contact_id
    left join companies
        on opportunities.company_id = companies.company_id

),

measured as (

    {% for entity, entity_checks in checks.items() %}
        {% for dimension, check, field_name in entity_checks %}
            select
                '{{ entity }}' as entity,
                '{{ dimension }}' as dimension,
                '{{ check }}' as check_name,
                '{{ field_name }}' as field_name,
                record_source,
                count({{ check }}) as record_count,
                sum(case when {{ check }} then 1 else 0 end) as failed_count

            from {{ entity }}_flagged
            group by record_source
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

rows_read as (

    select
        entity,
        sum(rows_read) as rows_read

    from file_loads
    where load_status = 'loaded'
    group by entity

),

quarantine_reasons as (

    select
        entity,
        reason_kind,
        count(*) as quarantined_rows

    from quarantined_rows
    group by entity, reason_kind

    union all

    select
        entity,
        'any' as reason_kind,
        count(*) as quarantined_rows

    from quarantined_rows
    group by entity

),

-- every entity with loaded rows has a `quarantined_any` row: an entity with nothing refused
-- joins no reason and reports 0
quarantine_measured as (

    select
        rows_read.entity,
        'quarantine' as dimension,
        {{ dbt.concat(["'quarantined_'", "coalesce(quarantine_reasons.reason_kind, 'any')"]) }} as check_name,
        cast(null as {{ dbt.type_string() }}) as field_name,
        'all' as record_source,
        rows_read.rows_read as record_count,
        coalesce(quarantine_reasons.quarantined_rows, 0) as failed_count

    from rows_read
    left join quarantine_reasons
        on rows_read.entity = quarantine_reasons.entity

),

all_measures as (

    select * from measured

    union all

    select * from quarantine_measured

),

final as (

    select
        -- ids
        {{ dbt.concat(["entity", "':'", "check_name", "':'", "record_source"]) }} as quality_check_id,

        -- strings
        entity,
        dimension,
        check_name,
        field_name,
        record_source,

        -- numerics
        cast(record_count as {{ dbt.type_bigint() }}) as record_count,
        cast(record_count - failed_count as {{ dbt.type_bigint() }}) as passed_count,
        cast(failed_count as {{ dbt.type_bigint() }}) as failed_count,
        cast(
            case when record_count > 0 then (record_count - failed_count) * 1.0 / record_count end
            as double
        ) as pass_rate,
        cast(
            case when record_count > 0 then failed_count * 1.0 / record_count end as double
        ) as fail_rate,

        -- dates
        {{ b2b_funnel.as_of_date() }} as as_of_date

    from all_measures

)

select * from final
