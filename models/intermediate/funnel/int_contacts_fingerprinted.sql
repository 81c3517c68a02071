-- One row per contact of the as-of day with a fingerprint of what the funnel chain computes it
-- from (int_contact_facts_by_instant's contact-grain inputs): its identification, its fit periods
-- and their companies, its qualifying and disqualifying sales activities and its opportunities,
-- all as of the as-of day, with the vars and seeds the chain reads (a change to one changes every
-- fingerprint). int_contact_changes compares them with the last build's. The companies are not
-- read by the chain but by fct_engagement_events, which carries each contact's current company.
--
-- Scale: one pass over the contact-grain tables (a row per contact, fit period, activity or
-- opportunity); the events are not read here.
{%- set chain_vars = [
    'engagement_half_life_days', 'engagement_cap_period', 'qualified_lead_score', 'mql_score',
    'mql_min_fit_score', 'mql_min_interactions', 'recycle_score', 'earliest_plausible_date'
] %}
{%- set chain_var_values -%}
    {% for name in chain_vars %}{{ name }}={{ var(name) }};{% endfor %}
{%- endset %}

with

contacts as (

    select
        contact_id,
        first_known_at

    from {{ ref('int_contacts_deduplicated') }}

),

fit as (

    select
        contact_id,
        company_id,
        icp_fit_score,
        is_icp,
        valid_from_at,
        valid_to_at

    from {{ ref('int_contacts_fit_scored') }}

),

activities as (

    select
        contact_id,
        is_sql_qualifying,
        is_disqualifying,
        disqualification_reason,
        occurred_at

    from {{ ref('int_sales_activities_attributed') }}
    where is_sql_qualifying or is_disqualifying

),

opportunities as (

    select
        contact_id,
        is_won,
        is_lost,
        is_won_date_inferred,
        created_at,
        won_at,
        closed_at

    from {{ ref('int_opportunities_attributed') }}
    where contact_id is not null

),

event_points as (

    select * from {{ ref('engagement_event_points') }}

),

states as (

    select * from {{ ref('funnel_states') }}

),

-- the vars and seeds the chain reads: a change to any changes every contact's fingerprint
chain_configuration as (

    select
        '{{ chain_var_values }}'
        || (
            select {{ dbt.listagg(
                row_text(['event_type', 'points', 'is_interest_signal', 'is_high_intent', 'max_per_period', 'not_contactable_reason']),
                "';'",
                'order by event_type'
            ) }}
            from event_points
        )
        || (
            select {{ dbt.listagg(row_text(['state', 'state_order', 'kind']), "';'", 'order by state') }}
            from states
        ) as configuration_text

),

-- hashed once: hashing the configuration's text with each contact's inputs cost about a second
-- a million contacts
chain_configuration_hashed as (

    select {{ dbt.hash('configuration_text') }} as configuration_hash
    from chain_configuration

),

input_rows as (

    select
        contact_id,
        'identified:' || {{ row_text(['first_known_at']) }} as input_text

    from contacts

    union all

    select
        contact_id,
        'fit:' || {{ row_text(['company_id', 'icp_fit_score', 'is_icp', 'valid_from_at', 'valid_to_at']) }}
            as input_text

    from fit

    union all

    select
        contact_id,
        'activity:'
        || {{ row_text(['is_sql_qualifying', 'is_disqualifying', 'disqualification_reason', 'occurred_at']) }}
            as input_text

    from activities

    union all

    select
        contact_id,
        'opportunity:'
        || {{ row_text(['is_won', 'is_lost', 'is_won_date_inferred', 'created_at', 'won_at', 'closed_at']) }}
            as input_text

    from opportunities

),

-- in any order: the sum of the rows' 64-bit hashes and their count (an ordered list of the rows
-- sorted each contact's: 3.4 of the model's 4 CPU-seconds at 1 M contacts); a changed row
-- changes the sum but by a chance of one in 2^64
inputs as (

    select
        input_rows.contact_id,
        {{ b2b_funnel.unordered_rows_text('input_rows.input_text') }} as inputs_text

    from input_rows
    inner join contacts
        on input_rows.contact_id = contacts.contact_id
    group by input_rows.contact_id

),

fingerprints as (

    select
        inputs.contact_id,
        {{ dbt.hash("chain_configuration_hashed.configuration_hash || '#' || inputs.inputs_text") }}
            as inputs_fingerprint

    from inputs
    cross join chain_configuration_hashed

),

final as (

    select
        -- ids
        fingerprints.contact_id,

        -- strings
        fingerprints.inputs_fingerprint,

        -- timestamps
        contacts.first_known_at

    from fingerprints
    inner join contacts
        on fingerprints.contact_id = contacts.contact_id

)

select * from final
