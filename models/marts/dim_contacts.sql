{#- why a contact may not be contacted, the strongest reason first: what the person asked, then
    what the law says, then what the address says (in the final select, which joins the tables
    it reads once) #}
{%- set not_contactable_reason -%}
    case
        when contacts.is_opted_out then 'opted_out'
        when contacts.is_listed_as_opted_out then 'suppressed'
        when retention.is_past_retention then 'past_retention'
        when staged.unsubscribed_at is not null then 'unsubscribed'
        when staged.hard_bounced_at is not null then 'hard_bounced'
        when contacts.email is null then 'no_email'
        when not contacts.has_valid_email then 'invalid_email'
    end
{%- endset %}

with

contacts as (

    select * from {{ ref('int_contacts_deduplicated') }}

),

companies_matched as (

    select * from {{ ref('int_contacts_matched_to_companies') }}
    where is_current

),

fit as (

    select * from {{ ref('int_contacts_fit_scored') }}
    where is_current

),

staged as (

    select * from {{ ref('int_contacts_staged') }}

),

retention as (

    select * from {{ ref('int_contacts_retention_dated') }}

),

engagement_components as (

    select
        contact_id,
        points,
        event_count,
        occurred_at

    from {{ ref('fct_contact_score_components') }}
    where score = 'engagement'

),

-- the sum of the contact's engagement components (one per event type, the events decayed and
-- summed there): their points as exact decimals, so the sum does not depend on the order they
-- are added in, rounded as the instants' scores are
engagement as (

    select
        contact_id,
        cast(round(sum(cast(points as decimal(38, 12))), 6) as double) as engagement_score,
        cast(sum(event_count) as {{ dbt.type_bigint() }}) as engagement_event_count,
        max(occurred_at) as last_engaged_at

    from engagement_components
    group by contact_id

),

final as (

    select
        -- ids
        contacts.contact_id,
        companies_matched.company_id,

        -- personal identifiers (working warehouse only, never published)
        contacts.email,
        contacts.first_name,
        contacts.last_name,
        contacts.phone,
        contacts.linkedin_url,

        -- strings
        contacts.job_title,
        contacts.seniority,
        contacts.department,
        contacts.country_code as country,
        contacts.lead_source,
        companies_matched.company_match_method,
        fit.icp_fit_grade,
        staged.lead_quality,
        staged.funnel_stage,
        staged.highest_stage,
        staged.disqualification_reason,
        {{ not_contactable_reason }} as not_contactable_reason,

        -- numerics
        fit.icp_fit_score,
        fit.company_fit_points,
        fit.person_fit_points,
        coalesce(engagement.engagement_score, 0.0) as engagement_score,
        coalesce(engagement.engagement_event_count, 0) as engagement_event_count,
        contacts.source_record_count,

        -- booleans
        fit.is_icp,
        contacts.has_valid_email,
        contacts.is_opted_out,
        ({{ not_contactable_reason }}) is null as is_contactable,

        -- dates
        {{ as_of_date() }} as as_of_date,

        -- timestamps
        staged.prospect_at,
        staged.lead_at,
        staged.mql_at,
        staged.sql_at,
        staged.opportunity_at,
        staged.customer_at,
        staged.recycled_at,
        staged.disqualified_at,
        staged.lost_at,
        staged.unsubscribed_at,
        staged.hard_bounced_at,
        staged.identified_at,
        engagement.last_engaged_at,
        retention.last_interaction_at,
        retention.retention_ends_at,
        contacts.created_at,
        contacts.updated_at

    from staged
    inner join contacts
        on staged.contact_id = contacts.contact_id
    inner join fit
        on staged.contact_id = fit.contact_id
    inner join retention
        on staged.contact_id = retention.contact_id
    left join companies_matched
        on staged.contact_id = companies_matched.contact_id
    left join engagement
        on staged.contact_id = engagement.contact_id

)

select * from final
