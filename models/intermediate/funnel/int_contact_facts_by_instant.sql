{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='replace_contacts',
        meta={'materialized_because': (
            'incremental by contact: a run recomputes only the contacts whose inputs changed'
            ' (macros/incremental.sql)'
        )},
    )
}}
-- depends_on: {{ ref('int_contact_changes') }}

-- Every dated fact about a contact, one row per contact and instant: its identification,
-- engagement (interest, the score after the instant, the score decaying below the recycle
-- threshold between two instants, unsubscribing, hard bounces), sales activities (qualifying,
-- disqualifying), opportunities (created, won, lost) and changes of its fit. Facts at one instant
-- are one row: the fold in int_contact_states_folded applies them together, so nothing depends
-- on ids. Each instant carries the ICP fit valid then.
-- A contact's life starts when it is first known (int_contact_ids_mapped: its `created_at`, else
-- its first fact, else its first update, else its first load). What happened before - events
-- tracked before the CRM record was made - is applied at that instant: the interest shown, and
-- the engagement score of the last earlier instant decayed to it; earlier sales facts count at
-- it too. So a record created after a day never changes that day.
--
-- Incremental by contact (macros/incremental.sql): a run gathers again only the facts of the
-- contacts whose inputs changed, from the instant each is rebuilt from (a contact rebuilt from
-- an instant after it is first known: int_contact_changes).
--
-- Scale: the engagement instants (tens of millions at scale) are already one row per contact and
-- instant; only the other facts (a few per contact) are grouped, and the two are joined by their
-- key. Grouping them all together made as many groups as instants, and spilled.
{%- set half_life = var('engagement_half_life_days') %}
{%- set fact_booleans = [
    'is_identification', 'is_fit_change', 'has_interest_signal', 'has_high_intent', 'is_qualified_lead_score',
    'is_mql_score', 'is_below_recycle_score', 'has_unsubscribed', 'has_hard_bounced',
    'has_sql_qualification', 'has_disqualification', 'has_won_date_inferred'
] %}

with

contacts as (

    select
        contact_id,
        first_known_at as identified_at

    from {{ ref('int_contacts_deduplicated') }}
    where {{ is_contact_to_rebuild('contact_id') }}

),

engagement as (

    select * from {{ rows_to_rebuild(ref('int_engagement_instants_scored')) }}

),

activities as (

    select * from {{ ref('int_sales_activities_attributed') }}
    where {{ is_contact_to_rebuild('contact_id') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_attributed') }}
    where contact_id is not null and {{ is_contact_to_rebuild('contact_id') }}

),

fit as (

    select
        contact_id,
        icp_fit_score,
        is_icp,
        valid_from_at,
        valid_to_at

    from {{ ref('int_contacts_fit_scored') }}
    where {{ is_contact_to_rebuild('contact_id') }}

),

{#- The columns every fact row carries, with their value when a source says nothing. #}
{%- set fact_columns = {
    'has_interest_signal': 'false',
    'has_high_intent': 'false',
    'is_qualified_lead_score': 'false',
    'is_mql_score': 'false',
    'is_below_recycle_score': 'false',
    'has_unsubscribed': 'false',
    'has_hard_bounced': 'false',
    'has_sql_qualification': 'false',
    'has_disqualification': 'false',
    'disqualification_reason': 'cast(null as ' ~ dbt.type_string() ~ ')',
    'opportunities_opened': '0',
    'opportunities_won': '0',
    'opportunities_lost': '0',
    'has_won_date_inferred': 'false',
    'score_after_instant': 'cast(null as double)',
} %}

-- each engagement instant with the fit valid then, if any (an instant before identification may
-- have none); joined to the instants as read, where the fit is plainly the smaller side to hash
engagement_placed as (

    select
        engagement.*,
        contacts.identified_at,
        engagement.occurred_at <= contacts.identified_at as is_before_identification,
        fit.contact_id is not null as has_fit,
        fit.icp_fit_score,
        fit.is_icp

    from engagement
    inner join contacts
        on engagement.contact_id = contacts.contact_id
    left join fit
        on
            engagement.contact_id = fit.contact_id
            and {{ in_period('engagement.occurred_at', 'fit.valid_from_at', 'fit.valid_to_at') }}

),

-- what the contact's engagement amounted to when it was identified (its instants up to then)
engagement_before_identification as (

    select
        contact_id,
        identified_at,
        max(occurred_at) as last_instant_at,
        max(case when has_interest_signal then 1 else 0 end) = 1 as has_interest_signal,
        max(case when has_high_intent then 1 else 0 end) = 1 as has_high_intent,
        max(case when has_unsubscribed then 1 else 0 end) = 1 as has_unsubscribed,
        max(case when has_hard_bounced then 1 else 0 end) = 1 as has_hard_bounced

    from engagement_placed
    where is_before_identification
    group by contact_id, identified_at

),

score_at_identification as (

    select
        before_identification.*,
        last_instant.interactions_so_far,
        round(
            last_instant.score_after_instant * power(
                2.0,
                -{{ days_between('before_identification.last_instant_at', 'before_identification.identified_at') }}
                / {{ half_life }}
            ),
            6
        ) as score

    from engagement_before_identification as before_identification
    inner join engagement as last_instant
        on
            before_identification.contact_id = last_instant.contact_id
            and before_identification.last_instant_at = last_instant.occurred_at

),

identifications as (

    select
        contacts.contact_id,
        contacts.identified_at as occurred_at,
        coalesce(score_at_identification.has_interest_signal, false) as has_interest_signal,
        coalesce(score_at_identification.has_high_intent, false) as has_high_intent,
        coalesce(score_at_identification.has_unsubscribed, false) as has_unsubscribed,
        coalesce(score_at_identification.has_hard_bounced, false) as has_hard_bounced,
        coalesce(score_at_identification.score >= {{ var('qualified_lead_score') }}, false)
            as is_qualified_lead_score,
        coalesce(
            score_at_identification.score >= {{ var('mql_score') }}
            and score_at_identification.interactions_so_far >= {{ var('mql_min_interactions') }},
            false
        ) as is_mql_score,
        coalesce(score_at_identification.score < {{ var('recycle_score') }}, false) as is_below_recycle_score,
        score_at_identification.score

    from contacts
    left join score_at_identification
        on contacts.contact_id = score_at_identification.contact_id

),

-- the facts other than the engagement instants after identification (a few per contact)
other_facts as (

    select
        contact_id,
        occurred_at,
        true as is_identification,
        false as is_fit_change,
        {{ columns_with_defaults(fact_columns, {
            'has_interest_signal': 'has_interest_signal',
            'has_high_intent': 'has_high_intent',
            'is_qualified_lead_score': 'is_qualified_lead_score',
            'is_mql_score': 'is_mql_score',
            'is_below_recycle_score': 'is_below_recycle_score',
            'has_unsubscribed': 'has_unsubscribed',
            'has_hard_bounced': 'has_hard_bounced',
            'score_after_instant': 'score',
        }) }}

    from identifications

    union all

    -- the score, left alone, decayed below the recycle threshold before the next instant
    select
        contact_id,
        decayed_below_recycle_at as occurred_at,
        false as is_identification,
        false as is_fit_change,
        {{ columns_with_defaults(fact_columns, {'is_below_recycle_score': 'true'}) }}

    from engagement_placed
    where decayed_below_recycle_at >= identified_at

    union all

    select
        activities.contact_id,
        greatest(activities.occurred_at, contacts.identified_at) as occurred_at,
        false as is_identification,
        false as is_fit_change,
        {{ columns_with_defaults(fact_columns, {
            'has_sql_qualification': 'activities.is_sql_qualifying',
            'has_disqualification': 'activities.is_disqualifying',
            'disqualification_reason': 'case when activities.is_disqualifying then activities.disqualification_reason end',
        }) }}

    from activities
    inner join contacts
        on activities.contact_id = contacts.contact_id
    where activities.is_sql_qualifying or activities.is_disqualifying

    union all

    select
        opportunities.contact_id,
        greatest(opportunities.created_at, contacts.identified_at) as occurred_at,
        false as is_identification,
        false as is_fit_change,
        {{ columns_with_defaults(fact_columns, {'opportunities_opened': '1'}) }}

    from opportunities
    inner join contacts
        on opportunities.contact_id = contacts.contact_id

    union all

    select
        opportunities.contact_id,
        greatest(coalesce(opportunities.won_at, opportunities.closed_at), contacts.identified_at) as occurred_at,
        false as is_identification,
        false as is_fit_change,
        {{ columns_with_defaults(fact_columns, {
            'opportunities_won': 'case when opportunities.is_won then 1 else 0 end',
            'opportunities_lost': 'case when opportunities.is_lost then 1 else 0 end',
            'has_won_date_inferred': 'opportunities.is_won_date_inferred',
        }) }}

    from opportunities
    inner join contacts
        on opportunities.contact_id = contacts.contact_id
    where opportunities.is_won or opportunities.is_lost

    union all

    -- the contact's ICP fit or segment changed (a new version, a new record, time since funding)
    select
        fit.contact_id,
        fit.valid_from_at as occurred_at,
        false as is_identification,
        true as is_fit_change,
        {{ columns_with_defaults(fact_columns, {}) }}

    from fit
    inner join contacts
        on fit.contact_id = contacts.contact_id
    where fit.valid_from_at > contacts.identified_at

),

other_instants as (

    select
        contact_id,
        occurred_at,
        min(disqualification_reason) as disqualification_reason,
        max(score_after_instant) as score_after_instant,
        sum(opportunities_opened) as opportunities_opened,
        sum(opportunities_won) as opportunities_won,
        sum(opportunities_lost) as opportunities_lost,
        {% for column in fact_booleans %}
            max(case when {{ column }} then 1 else 0 end) = 1 as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}

    from other_facts
    group by contact_id, occurred_at

),

-- each with the fit valid then
other_instants_fitted as (

    select
        other_instants.*,
        fit.icp_fit_score,
        fit.is_icp

    from other_instants
    inner join fit
        on
            other_instants.contact_id = fit.contact_id
            and {{ in_period('other_instants.occurred_at', 'fit.valid_from_at', 'fit.valid_to_at') }}

),

-- the engagement instants after identification, one row per contact and instant already
engagement_instants as (

    select * from engagement_placed
    where not is_before_identification and has_fit

),

-- one row per contact and instant, with the ICP fit valid then: the engagement instants joined
-- to the other facts' instants by their key rather than grouped with them (tens of millions of
-- groups at scale, where the other facts make a few million)
{%- set engagement_booleans = [
    'has_interest_signal', 'has_high_intent', 'is_qualified_lead_score', 'is_mql_score',
    'is_below_recycle_score', 'has_unsubscribed', 'has_hard_bounced',
] %}
instants as (

    select
        -- ids
        coalesce(engagement.contact_id, other.contact_id) as contact_id,

        -- strings
        other.disqualification_reason,

        -- numerics
        greatest(
            coalesce(engagement.score_after_instant, other.score_after_instant),
            coalesce(other.score_after_instant, engagement.score_after_instant)
        ) as score_after_instant,
        cast(coalesce(other.opportunities_opened, 0) as integer) as opportunities_opened,
        cast(coalesce(other.opportunities_won, 0) as integer) as opportunities_won,
        cast(coalesce(other.opportunities_lost, 0) as integer) as opportunities_lost,
        coalesce(engagement.icp_fit_score, other.icp_fit_score) as icp_fit_score,

        -- booleans
        {% for column in fact_booleans %}
            {%- if column in engagement_booleans %}
                coalesce(engagement.{{ column }}, false) or coalesce(other.{{ column }}, false) as {{ column }},
            {%- else %}
                coalesce(other.{{ column }}, false) as {{ column }},
            {%- endif %}
        {% endfor %}
        coalesce(engagement.is_icp, other.is_icp) as is_icp,

        -- timestamps
        coalesce(engagement.occurred_at, other.occurred_at) as occurred_at

    from engagement_instants as engagement
    full outer join other_instants_fitted as other
        on
            engagement.contact_id = other.contact_id
            and engagement.occurred_at = other.occurred_at

),

final as (

    select
        -- ids
        contact_id,

        -- strings
        disqualification_reason,

        -- numerics
        score_after_instant,
        opportunities_opened,
        opportunities_won,
        opportunities_lost,
        icp_fit_score,

        -- booleans
        {% for column in fact_booleans %}
            {{ column }},
        {% endfor %}
        is_icp,

        -- timestamps
        occurred_at,
        {{ build_started_at() }} as built_at

    from instants
    where {{ is_row_to_rebuild('contact_id', 'occurred_at') }}

)

select * from final
