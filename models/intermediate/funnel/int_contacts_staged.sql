-- One row per contact, with the date it entered each funnel stage.
-- Observed dates come from the facts: prospect when an ICP contact was identified, lead at the
-- first interest signal, MQL when the decayed score first reached `mql_score` (with the minimum
-- fit and interactions), SQL at the first qualifying sales activity, opportunity and customer
-- from opportunities. A stage that was skipped, or observed only after a later stage, takes the
-- later stage's date and is flagged inferred, so dates never go backwards along the funnel.
-- Side states: recycled (an MQL whose score decayed below `recycle_score` before any SQL) and
-- disqualified (sales said no). The current state is derived from these dates in
-- int_contact_stage_timeline.
with

contacts as (

    select
        contact_id,
        created_at,
        is_opted_out

    from {{ ref('int_contacts_deduplicated') }}

),

fit as (

    select
        contact_id,
        icp_fit_score,
        is_icp

    from {{ ref('int_contacts_fit_scored') }}

),

events as (

    select * from {{ ref('int_engagement_events_scored') }}

),

activities as (

    select * from {{ ref('int_sales_activities_attributed') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_attributed') }}

),

leads as (

    select
        contact_id,
        min(occurred_at) as lead_observed_at

    from events
    where is_interest_signal
    group by contact_id

),

engagement_milestones as (

    select
        events.contact_id,
        min(
            case
                when events.score_after_event >= {{ var('qualified_lead_score') }} or events.is_high_intent
                    then events.occurred_at
            end
        ) as lead_qualified_at,
        min(
            case
                when
                    events.score_after_event >= {{ var('mql_score') }}
                    and events.interactions_so_far >= {{ var('mql_min_interactions') }}
                    and fit.icp_fit_score >= {{ var('mql_min_fit_score') }}
                    then events.occurred_at
            end
        ) as mql_observed_at

    from events
    inner join leads
        on events.contact_id = leads.contact_id
    inner join fit
        on events.contact_id = fit.contact_id
    where events.occurred_at >= leads.lead_observed_at
    group by events.contact_id

),

sales_milestones as (

    select
        contact_id,
        min(case when is_sql_qualifying then occurred_at end) as sql_observed_at,
        max(case when is_disqualifying then occurred_at end) as disqualified_at

    from activities
    group by contact_id

),

disqualification_reasons as (

    select
        activities.contact_id,
        max(activities.disqualification_reason) as disqualification_reason

    from activities
    inner join sales_milestones
        on
            activities.contact_id = sales_milestones.contact_id
            and activities.occurred_at = sales_milestones.disqualified_at
    where activities.is_disqualifying
    group by activities.contact_id

),

opportunity_milestones as (

    select
        contact_id,
        min(created_at) as opportunity_observed_at,
        min(case when is_won then closed_at end) as customer_observed_at

    from opportunities
    group by contact_id

),

-- when an MQL's score fell below the recycle threshold: right after an event that left it below,
-- or between two events, at t + h * log2(score / threshold)
recycle_crossings as (

    select
        events.contact_id,
        min(
            case
                when events.score_after_event < {{ var('recycle_score') }} then events.occurred_at
                else {{ dbt.dateadd(
                    'second',
                    'cast(86400 * ' ~ var('engagement_half_life_days')
                    ~ ' * log2(events.score_after_event / ' ~ var('recycle_score') ~ ') as bigint)',
                    'events.occurred_at'
                ) }}
            end
        ) as recycled_at

    from events
    inner join engagement_milestones
        on events.contact_id = engagement_milestones.contact_id
    where
        events.occurred_at >= engagement_milestones.mql_observed_at
        and (
            events.score_after_event < {{ var('recycle_score') }}
            or events.score_after_event * power(
                2.0,
                -{{ days_between('events.occurred_at', 'coalesce(events.next_event_at, ' ~ as_of_at() ~ ')') }}
                / {{ var('engagement_half_life_days') }}
            ) < {{ var('recycle_score') }}
        )
    group by events.contact_id

),

requalifications as (

    select
        events.contact_id,
        min(events.occurred_at) as requalified_at

    from events
    inner join recycle_crossings
        on events.contact_id = recycle_crossings.contact_id
    where
        events.occurred_at > recycle_crossings.recycled_at
        and events.score_after_event >= {{ var('mql_score') }}
    group by events.contact_id

),

observed as (

    select
        contacts.contact_id,
        contacts.is_opted_out,
        fit.is_icp,
        case when fit.is_icp then contacts.created_at end as prospect_observed_at,
        leads.lead_observed_at,
        engagement_milestones.lead_qualified_at,
        engagement_milestones.mql_observed_at,
        sales_milestones.sql_observed_at,
        opportunity_milestones.opportunity_observed_at,
        opportunity_milestones.customer_observed_at,
        sales_milestones.disqualified_at,
        disqualification_reasons.disqualification_reason,
        recycle_crossings.recycled_at as recycle_crossed_at,
        requalifications.requalified_at

    from contacts
    inner join fit
        on contacts.contact_id = fit.contact_id
    left join leads
        on contacts.contact_id = leads.contact_id
    left join engagement_milestones
        on contacts.contact_id = engagement_milestones.contact_id
    left join sales_milestones
        on contacts.contact_id = sales_milestones.contact_id
    left join disqualification_reasons
        on contacts.contact_id = disqualification_reasons.contact_id
    left join opportunity_milestones
        on contacts.contact_id = opportunity_milestones.contact_id
    left join recycle_crossings
        on contacts.contact_id = recycle_crossings.contact_id
    left join requalifications
        on contacts.contact_id = requalifications.contact_id

),

-- each stage's date is the earliest observed date of it and of the stages after it
{% set funnel_stages = ['prospect', 'lead', 'mql', 'sql', 'opportunity', 'customer'] %}
stages_dated as (

    select
        *,
        {% for stage in funnel_stages %}
            {% if loop.last -%}
                {{ stage }}_observed_at as {{ stage }}_at
            {%- else -%}
                least(
                    {%- for later in funnel_stages[loop.index0:] %}
                        {{ later }}_observed_at{% if not loop.last %},{% endif %}
                    {%- endfor %}
                ) as {{ stage }}_at,
            {%- endif %}
        {% endfor %}

    from observed

),

-- recycled only when the score fell below the threshold by the as-of day, before any SQL
recycle_dated as (

    select
        *,
        case
            when recycle_crossed_at < {{ as_of_at() }} and (sql_at is null or recycle_crossed_at < sql_at)
                then recycle_crossed_at
        end as recycled_at

    from stages_dated

),

final as (

    select
        contact_id,
        is_icp,
        is_opted_out,
        prospect_at,
        lead_at,
        mql_at,
        sql_at,
        opportunity_at,
        customer_at,
        recycled_at,
        disqualified_at,
        disqualification_reason,
        prospect_at is not null and (prospect_observed_at is null or prospect_observed_at > prospect_at)
            as is_prospect_inferred,
        lead_at is not null and (lead_observed_at is null or lead_observed_at > lead_at) as is_lead_inferred,
        mql_at is not null and (mql_observed_at is null or mql_observed_at > mql_at) as is_mql_inferred,
        sql_at is not null and (sql_observed_at is null or sql_observed_at > sql_at) as is_sql_inferred,
        opportunity_at is not null
        and (opportunity_observed_at is null or opportunity_observed_at > opportunity_at)
            as is_opportunity_inferred,
        case
            when lead_at is null then null
            when lead_qualified_at is not null or mql_at is not null then 'qualified'
            else 'unqualified'
        end as lead_quality,
        case
            when customer_at is not null then 'customer'
            when opportunity_at is not null then 'opportunity'
            when sql_at is not null then 'sql'
            when mql_at is not null then 'mql'
            when lead_at is not null then 'lead'
            when prospect_at is not null then 'prospect'
            else 'out_of_target'
        end as highest_stage,
        case when recycled_at is not null then requalified_at end as requalified_at

    from recycle_dated

)

select * from final
