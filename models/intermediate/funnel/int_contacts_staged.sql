{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='replace_whole_contacts',
        meta={'materialized_because': (
            'incremental by contact, cut at the as-of day: a run recomputes the contacts whose'
            ' facts changed or that the as-of day moved over (macros/incremental.sql)'
        )},
    )
}}
-- depends_on: {{ ref('int_contact_changes') }}

-- One row per contact identified by the as-of day: its current state (the last entry of its
-- timeline), the highest funnel stage it reached, the first entry into each state (the date of a
-- disqualification is its latest, with its reason), whether each stage's first entry was
-- inferred, its lead quality, and when it became not contactable by an event.
--
-- Incremental by contact, cut at the as-of day (macros/incremental.sql): a run computes again
-- the contacts whose facts changed and those with a fact the as-of day moved over: a later day
-- past a contact's next fact (`next_fact_at`), or an earlier day before its last one
-- (`last_fact_at`).
with

{% if is_incremental() %}

contacts_computed as (

    select contact_id from {{ contacts_to_rebuild_at_as_of('next_fact_at', 'last_fact_at') }}

),

{% endif %}

timeline as (

    select * from {{ ref('int_contact_stage_timeline') }}
    {% if is_incremental() -%}
        where contact_id in (select contact_id from contacts_computed)
    {%- endif %}

),

-- the fold holds every fact the base has; what is read here ends with the as-of day
folded_computed as (

    select * from {{ ref('int_contact_states_folded') }}
    {% if is_incremental() -%}
        where contact_id in (select contact_id from contacts_computed)
    {%- endif %}

),

folded as (

    select * from folded_computed
    where occurred_at < {{ as_of_at() }}

),

states as (

    select
        state,
        state_order,
        kind

    from {{ ref('funnel_states') }}

),

{% set stages = funnel_state_names('stage', exclude=['out_of_target']) %}
{#- the first entry into each state; a disqualification is dated by its latest (below) -#}
{% set dated_states = funnel_state_names(exclude=['out_of_target', 'disqualified']) %}
entries_pivoted as (

    select
        timeline.contact_id,
        max(timeline.transition_number) as last_transition_number,
        max(case when states.kind = 'stage' then states.state_order end) as highest_stage_order,
        {% for stage in dated_states %}
            min(case when timeline.stage = '{{ stage }}' then timeline.entered_at end) as {{ stage }}_at,
        {% endfor %}
        {% for stage in stages %}
            max(
                case
                    when timeline.stage = '{{ stage }}' and timeline.stage_entry_number = 1 and timeline.is_inferred
                        then 1
                    else 0
                end
            ) = 1 as is_{{ stage }}_inferred,
        {% endfor %}
        max(case when timeline.stage = 'disqualified' then timeline.entered_at end) as disqualified_at

    from timeline
    inner join states
        on timeline.stage = states.state
    group by timeline.contact_id

),

current_states as (

    select
        timeline.contact_id,
        timeline.stage as funnel_stage

    from timeline
    inner join entries_pivoted
        on
            timeline.contact_id = entries_pivoted.contact_id
            and timeline.transition_number = entries_pivoted.last_transition_number

),

facts_summarised as (

    select
        contact_id,
        min(case when is_identification then occurred_at end) as identified_at,
        max(case when is_qualified_lead_score or has_high_intent then occurred_at end) as last_qualifying_engagement_at,
        max(case when has_disqualification then occurred_at end) as last_disqualification_at,
        min(case when has_unsubscribed then occurred_at end) as unsubscribed_at,
        min(case when has_hard_bounced then occurred_at end) as hard_bounced_at,
        max(occurred_at) as last_fact_at

    from folded
    group by contact_id

),

-- each contact's first fact after the as-of day: a later as-of day past it changes its row
next_facts as (

    select
        contact_id,
        min(occurred_at) as next_fact_at

    from folded_computed
    where occurred_at >= {{ as_of_at() }}
    group by contact_id

),

disqualification_reasons as (

    select
        folded.contact_id,
        folded.disqualification_reason

    from folded
    inner join facts_summarised
        on
            folded.contact_id = facts_summarised.contact_id
            and folded.occurred_at = facts_summarised.last_disqualification_at

),

final as (

    select
        -- ids
        entries_pivoted.contact_id,

        -- strings
        current_states.funnel_stage,
        highest_states.state as highest_stage,
        case
            when entries_pivoted.lead_at is null then null
            when
                entries_pivoted.mql_at is not null
                or facts_summarised.last_qualifying_engagement_at >= entries_pivoted.lead_at
                then 'qualified'
            else 'unqualified'
        end as lead_quality,
        disqualification_reasons.disqualification_reason,

        -- booleans
        {% for stage in stages %}
            entries_pivoted.is_{{ stage }}_inferred,
        {% endfor %}

        -- timestamps
        facts_summarised.identified_at,
        {% for stage in dated_states %}
            entries_pivoted.{{ stage }}_at,
        {% endfor %}
        entries_pivoted.disqualified_at,
        facts_summarised.unsubscribed_at,
        facts_summarised.hard_bounced_at,
        facts_summarised.last_fact_at,
        next_facts.next_fact_at,
        {{ build_started_at() }} as built_at

    from entries_pivoted
    inner join current_states
        on entries_pivoted.contact_id = current_states.contact_id
    inner join states as highest_states
        on entries_pivoted.highest_stage_order = highest_states.state_order
    inner join facts_summarised
        on entries_pivoted.contact_id = facts_summarised.contact_id
    left join disqualification_reasons
        on entries_pivoted.contact_id = disqualification_reasons.contact_id
    left join next_facts
        on entries_pivoted.contact_id = next_facts.contact_id

)

select * from final
