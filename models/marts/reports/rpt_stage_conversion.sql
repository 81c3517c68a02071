-- Stage conversion per cohort month, segment and lead source, for leadership and BI.
-- Two cohorts share a row's month: prospects by the month they were identified (prospect_at:
-- ICP contacts only), leads by the month they became leads (lead_at); every later stage
-- follows the lead cohort.
-- Rates "by the as-of day" keep growing while a cohort ages; the "in window" rates only count
-- contacts that have had the whole `conversion_window_days`, so young cohorts are not misread.
-- Durations leave out skipped stages (an inferred date is the later stage's, not a real step).
{%- set window_days = var('conversion_window_days') %}
{#- the stages along the funnel, in order; each step is from one to the next -#}
{%- set stages = funnel_state_names('stage', exclude=['out_of_target']) %}

with

contacts as (

    select
        contact_id,
        company_id,
        icp_fit_grade,
        country,
        lead_source,
        prospect_at,
        lead_at,
        mql_at,
        sql_at,
        opportunity_at,
        customer_at

    from {{ ref('dim_contacts') }}

),

companies as (

    select
        company_id,
        industry,
        employee_band,
        country

    from {{ ref('dim_companies') }}

),

transitions as (

    select
        contact_id,
        stage,
        is_inferred

    from {{ ref('fct_funnel_transitions') }}

),

stages_inferred as (

    select
        contact_id,
        {% for stage in stages %}
            max(case when stage = '{{ stage }}' and is_inferred then 1 else 0 end) = 1 as is_{{ stage }}_inferred
            {%- if not loop.last %},{% endif %}
        {% endfor %}

    from transitions
    group by contact_id

),

contacts_segmented as (

    select
        -- ids
        contacts.contact_id,

        -- strings
        coalesce(contacts.icp_fit_grade, 'unknown') as icp_fit_grade,
        coalesce(companies.industry, 'unknown') as industry,
        coalesce(companies.employee_band, 'unknown') as employee_band,
        coalesce(companies.country, contacts.country, 'unknown') as country,
        coalesce(contacts.lead_source, 'unknown') as lead_source,

        -- booleans
        {% for stage in stages %}
            coalesce(stages_inferred.is_{{ stage }}_inferred, false) as is_{{ stage }}_inferred,
        {% endfor %}

        -- dates
        cast({{ dbt.date_trunc('month', 'contacts.prospect_at') }} as date) as prospect_cohort_month,
        cast({{ dbt.date_trunc('month', 'contacts.lead_at') }} as date) as lead_cohort_month,

        -- timestamps
        contacts.prospect_at,
        contacts.lead_at,
        contacts.mql_at,
        contacts.sql_at,
        contacts.opportunity_at,
        contacts.customer_at

    from contacts
    left join companies
        on contacts.company_id = companies.company_id
    left join stages_inferred
        on contacts.contact_id = stages_inferred.contact_id

),

-- per contact and step: its days when both stages were observed, whether the window has fully
-- elapsed since the first stage, and whether the second stage came within the window
contacts_measured as (

    select
        *,
        {% for earlier, later in zip(stages[:-1], stages[1:]) %}
            case
                when not is_{{ earlier }}_inferred and not is_{{ later }}_inferred
                    then {{ days_between(earlier ~ '_at', later ~ '_at') }}
            end as {{ earlier }}_to_{{ later }}_days,
            case
                when {{ days_between(earlier ~ '_at', as_of_at()) }} >= {{ window_days }} then 1 else 0
            end as is_{{ earlier }}_window_elapsed,
            case
                when
                    {{ days_between(earlier ~ '_at', as_of_at()) }} >= {{ window_days }}
                    and {{ days_between(earlier ~ '_at', later ~ '_at') }} <= {{ window_days }}
                    then 1
                else 0
            end as is_{{ earlier }}_to_{{ later }}_in_window{% if not loop.last %},{% endif %}
        {% endfor %}

    from contacts_segmented

),

prospect_cohorts as (

    select
        prospect_cohort_month as cohort_month,
        icp_fit_grade,
        industry,
        employee_band,
        country,
        lead_source,
        count(*) as prospects,
        count(lead_at) as prospects_converted_to_lead,
        sum(is_prospect_window_elapsed) as prospects_window_elapsed,
        sum(is_prospect_to_lead_in_window) as prospect_to_lead_in_window,
        {{ percentile_cont('prospect_to_lead_days', 0.5) }} as median_days_prospect_to_lead,
        {{ percentile_cont('prospect_to_lead_days', 0.75) }} as p75_days_prospect_to_lead

    from contacts_measured
    where prospect_at is not null
    group by prospect_cohort_month, icp_fit_grade, industry, employee_band, country, lead_source

),

lead_cohorts as (

    select
        lead_cohort_month as cohort_month,
        icp_fit_grade,
        industry,
        employee_band,
        country,
        lead_source,
        count(lead_at) as leads,
        count(mql_at) as mqls,
        count(sql_at) as sqls,
        count(opportunity_at) as opportunities,
        count(customer_at) as customers,
        sum(is_lead_window_elapsed) as leads_window_elapsed,
        sum(is_lead_to_mql_in_window) as lead_to_mql_in_window,
        {{ percentile_cont('lead_to_mql_days', 0.5) }} as median_days_lead_to_mql,
        {{ percentile_cont('lead_to_mql_days', 0.75) }} as p75_days_lead_to_mql,
        sum(is_mql_window_elapsed) as mqls_window_elapsed,
        sum(is_mql_to_sql_in_window) as mql_to_sql_in_window,
        {{ percentile_cont('mql_to_sql_days', 0.5) }} as median_days_mql_to_sql,
        {{ percentile_cont('mql_to_sql_days', 0.75) }} as p75_days_mql_to_sql,
        sum(is_sql_window_elapsed) as sqls_window_elapsed,
        sum(is_sql_to_opportunity_in_window) as sql_to_opportunity_in_window,
        {{ percentile_cont('sql_to_opportunity_days', 0.5) }} as median_days_sql_to_opportunity,
        {{ percentile_cont('sql_to_opportunity_days', 0.75) }} as p75_days_sql_to_opportunity,
        sum(is_opportunity_window_elapsed) as opportunities_window_elapsed,
        sum(is_opportunity_to_customer_in_window) as opportunity_to_customer_in_window,
        {{ percentile_cont('opportunity_to_customer_days', 0.5) }} as median_days_opportunity_to_customer,
        {{ percentile_cont('opportunity_to_customer_days', 0.75) }} as p75_days_opportunity_to_customer

    from contacts_measured
    where lead_at is not null
    group by lead_cohort_month, icp_fit_grade, industry, employee_band, country, lead_source

),

cohort_keys as (

    select
        cohort_month,
        icp_fit_grade,
        industry,
        employee_band,
        country,
        lead_source

    from prospect_cohorts

    union distinct

    select
        cohort_month,
        icp_fit_grade,
        industry,
        employee_band,
        country,
        lead_source

    from lead_cohorts

),

final as (

    select
        -- dates
        cohort_keys.cohort_month,

        -- strings
        cohort_keys.icp_fit_grade,
        cohort_keys.industry,
        cohort_keys.employee_band,
        cohort_keys.country,
        cohort_keys.lead_source,

        -- contacts reaching each stage by the as-of day
        cast(coalesce(prospect_cohorts.prospects, 0) as bigint) as prospects,
        cast(coalesce(prospect_cohorts.prospects_converted_to_lead, 0) as bigint) as prospects_converted_to_lead,
        cast(coalesce(lead_cohorts.leads, 0) as bigint) as leads,
        cast(coalesce(lead_cohorts.mqls, 0) as bigint) as mqls,
        cast(coalesce(lead_cohorts.sqls, 0) as bigint) as sqls,
        cast(coalesce(lead_cohorts.opportunities, 0) as bigint) as opportunities,
        cast(coalesce(lead_cohorts.customers, 0) as bigint) as customers,

        -- stage-to-stage rates by the as-of day
        cast(prospect_cohorts.prospects_converted_to_lead as double)
        / nullif(prospect_cohorts.prospects, 0) as prospect_to_lead_rate,
        cast(lead_cohorts.mqls as double)
        / nullif(lead_cohorts.leads, 0) as lead_to_mql_rate,
        cast(lead_cohorts.sqls as double)
        / nullif(lead_cohorts.mqls, 0) as mql_to_sql_rate,
        cast(lead_cohorts.opportunities as double)
        / nullif(lead_cohorts.sqls, 0) as sql_to_opportunity_rate,
        cast(lead_cohorts.customers as double)
        / nullif(lead_cohorts.opportunities, 0) as opportunity_to_customer_rate,
        cast(lead_cohorts.customers as double)
        / nullif(lead_cohorts.leads, 0) as lead_to_customer_rate,

        -- conversion within the window, over the contacts that have had the whole window
        cast({{ window_days }} as integer) as conversion_window_days,
        cast(coalesce(prospect_cohorts.prospects_window_elapsed, 0) as bigint) as prospects_window_elapsed,
        cast(coalesce(prospect_cohorts.prospect_to_lead_in_window, 0) as bigint) as prospect_to_lead_in_window,
        cast(prospect_cohorts.prospect_to_lead_in_window as double)
        / nullif(prospect_cohorts.prospects_window_elapsed, 0) as prospect_to_lead_in_window_rate,
        cast(coalesce(lead_cohorts.leads_window_elapsed, 0) as bigint) as leads_window_elapsed,
        cast(coalesce(lead_cohorts.lead_to_mql_in_window, 0) as bigint) as lead_to_mql_in_window,
        cast(lead_cohorts.lead_to_mql_in_window as double)
        / nullif(lead_cohorts.leads_window_elapsed, 0) as lead_to_mql_in_window_rate,
        cast(coalesce(lead_cohorts.mqls_window_elapsed, 0) as bigint) as mqls_window_elapsed,
        cast(coalesce(lead_cohorts.mql_to_sql_in_window, 0) as bigint) as mql_to_sql_in_window,
        cast(lead_cohorts.mql_to_sql_in_window as double)
        / nullif(lead_cohorts.mqls_window_elapsed, 0) as mql_to_sql_in_window_rate,
        cast(coalesce(lead_cohorts.sqls_window_elapsed, 0) as bigint) as sqls_window_elapsed,
        cast(coalesce(lead_cohorts.sql_to_opportunity_in_window, 0) as bigint) as sql_to_opportunity_in_window,
        cast(lead_cohorts.sql_to_opportunity_in_window as double)
        / nullif(lead_cohorts.sqls_window_elapsed, 0) as sql_to_opportunity_in_window_rate,
        cast(coalesce(lead_cohorts.opportunities_window_elapsed, 0) as bigint) as opportunities_window_elapsed,
        cast(
            coalesce(lead_cohorts.opportunity_to_customer_in_window, 0) as bigint
        ) as opportunity_to_customer_in_window,
        cast(lead_cohorts.opportunity_to_customer_in_window as double)
        / nullif(lead_cohorts.opportunities_window_elapsed, 0) as opportunity_to_customer_in_window_rate,

        -- days between stages (observed steps only)
        cast(prospect_cohorts.median_days_prospect_to_lead as double) as median_days_prospect_to_lead,
        cast(prospect_cohorts.p75_days_prospect_to_lead as double) as p75_days_prospect_to_lead,
        cast(lead_cohorts.median_days_lead_to_mql as double) as median_days_lead_to_mql,
        cast(lead_cohorts.p75_days_lead_to_mql as double) as p75_days_lead_to_mql,
        cast(lead_cohorts.median_days_mql_to_sql as double) as median_days_mql_to_sql,
        cast(lead_cohorts.p75_days_mql_to_sql as double) as p75_days_mql_to_sql,
        cast(lead_cohorts.median_days_sql_to_opportunity as double) as median_days_sql_to_opportunity,
        cast(lead_cohorts.p75_days_sql_to_opportunity as double) as p75_days_sql_to_opportunity,
        cast(lead_cohorts.median_days_opportunity_to_customer as double) as median_days_opportunity_to_customer,
        cast(lead_cohorts.p75_days_opportunity_to_customer as double) as p75_days_opportunity_to_customer,

        -- dates
        {{ as_of_date() }} as as_of_date

    from cohort_keys
    left join prospect_cohorts
        on
            cohort_keys.cohort_month = prospect_cohorts.cohort_month
            and cohort_keys.icp_fit_grade = prospect_cohorts.icp_fit_grade
            and cohort_keys.industry = prospect_cohorts.industry
            and cohort_keys.employee_band = prospect_cohorts.employee_band
            and cohort_keys.country = prospect_cohorts.country
            and cohort_keys.lead_source = prospect_cohorts.lead_source
    left join lead_cohorts
        on
            cohort_keys.cohort_month = lead_cohorts.cohort_month
            and cohort_keys.icp_fit_grade = lead_cohorts.icp_fit_grade
            and cohort_keys.industry = lead_cohorts.industry
            and cohort_keys.employee_band = lead_cohorts.employee_band
            and cohort_keys.country = lead_cohorts.country
            and cohort_keys.lead_source = lead_cohorts.lead_source

)

select * from final
