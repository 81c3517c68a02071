-- Every dated fact about a contact, one row per contact and instant: its identification,
-- engagement (interest, the score after the instant, the score decaying below the recycle
-- threshold between two instants, unsubscribing, hard bounces), sales activities (qualifying,
-- disqualifying) and opportunities (created, won, lost). Facts at one instant are one row: the
-- fold in int_contact_states_folded applies them together, so nothing depends on ids.
-- A contact is identified when it is first known: when its first record was (its `created_at`,
-- or its first fact when that came earlier, else its first update, else its first load: see
-- int_contact_ids_mapped), or at its first fact reaching it otherwise (by a previous email).
with

contacts as (

    select
        contact_id,
        first_known_at

    from {{ ref('int_contacts_deduplicated') }}

),

engagement as (

    select * from {{ ref('int_engagement_instants_scored') }}

),

activities as (

    select * from {{ ref('int_sales_activities_attributed') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_attributed') }}
    where contact_id is not null

),

fit_periods as (

    select
        contact_id,
        valid_from_at

    from {{ ref('int_contacts_fit_scored') }}
    where valid_from_at is not null

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

facts as (

    select
        contact_id,
        occurred_at,
        {{ columns_with_defaults(fact_columns, {
            'has_interest_signal': 'has_interest_signal',
            'has_high_intent': 'has_high_intent',
            'is_qualified_lead_score': 'is_qualified_lead_score',
            'is_mql_score': 'is_mql_score',
            'is_below_recycle_score': 'is_below_recycle_score',
            'has_unsubscribed': 'has_unsubscribed',
            'has_hard_bounced': 'has_hard_bounced',
            'score_after_instant': 'score_after_instant',
        }) }}

    from engagement

    union all

    -- the score, left alone, decayed below the recycle threshold before the next instant
    select
        contact_id,
        decayed_below_recycle_at as occurred_at,
        {{ columns_with_defaults(fact_columns, {'is_below_recycle_score': 'true'}) }}

    from engagement
    where decayed_below_recycle_at is not null

    union all

    select
        contact_id,
        occurred_at,
        {{ columns_with_defaults(fact_columns, {
            'has_sql_qualification': 'is_sql_qualifying',
            'has_disqualification': 'is_disqualifying',
            'disqualification_reason': 'case when is_disqualifying then disqualification_reason end',
        }) }}

    from activities
    where is_sql_qualifying or is_disqualifying

    union all

    select
        contact_id,
        created_at as occurred_at,
        {{ columns_with_defaults(fact_columns, {'opportunities_opened': '1'}) }}

    from opportunities

    union all

    select
        contact_id,
        coalesce(won_at, closed_at) as occurred_at,
        {{ columns_with_defaults(fact_columns, {
            'opportunities_won': 'case when is_won then 1 else 0 end',
            'opportunities_lost': 'case when is_lost then 1 else 0 end',
            'has_won_date_inferred': 'is_won_date_inferred',
        }) }}

    from opportunities
    where is_won or is_lost

),

first_facts as (

    select
        contact_id,
        min(occurred_at) as first_fact_at

    from facts
    group by contact_id

),

identifications as (

    select
        contacts.contact_id,
        least(contacts.first_known_at, first_facts.first_fact_at) as identified_at

    from contacts
    left join first_facts
        on contacts.contact_id = first_facts.contact_id

),

facts_with_identification as (

    select
        contact_id,
        occurred_at,
        false as is_identification,
        false as is_fit_change,
        {%- for column in fact_columns %}
            {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from facts

    union all

    select
        contact_id,
        identified_at as occurred_at,
        true as is_identification,
        false as is_fit_change,
        {{ columns_with_defaults(fact_columns, {}) }}

    from identifications
    where identified_at < {{ as_of_at() }}

    union all

    -- the contact's ICP fit or segment changed (a new version, a new record, time since funding)
    select
        fit_periods.contact_id,
        fit_periods.valid_from_at as occurred_at,
        false as is_identification,
        true as is_fit_change,
        {{ columns_with_defaults(fact_columns, {}) }}

    from fit_periods
    inner join identifications
        on fit_periods.contact_id = identifications.contact_id
    where
        fit_periods.valid_from_at > identifications.identified_at
        and fit_periods.valid_from_at < {{ as_of_at() }}

),

final as (

    select
        -- ids
        contact_id,

        -- strings
        min(disqualification_reason) as disqualification_reason,

        -- numerics
        max(score_after_instant) as score_after_instant,
        cast(sum(opportunities_opened) as integer) as opportunities_opened,
        cast(sum(opportunities_won) as integer) as opportunities_won,
        cast(sum(opportunities_lost) as integer) as opportunities_lost,

        -- booleans
        {% for column in [
            'is_identification', 'is_fit_change', 'has_interest_signal', 'has_high_intent', 'is_qualified_lead_score',
            'is_mql_score', 'is_below_recycle_score', 'has_unsubscribed', 'has_hard_bounced',
            'has_sql_qualification', 'has_disqualification', 'has_won_date_inferred'
        ] %}
            max(case when {{ column }} then 1 else 0 end) = 1 as {{ column }},
        {% endfor %}

        -- timestamps
        occurred_at

    from facts_with_identification
    group by contact_id, occurred_at

)

select * from final
