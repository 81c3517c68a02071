{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='replace_contacts',
        on_schema_change='fail',
        meta={
            'materialized_because': (
                'incremental by contact: a run recomputes the events of the contacts whose inputs'
                ' changed and adds those the as-of day now reaches (macros/incremental.sql)'
            ),
            'as_of_column': 'occurred_at',
        },
    )
}}
-- depends_on: {{ ref('int_contact_changes') }}

-- One row per accepted engagement event up to the as-of day, with the contact's engagement
-- score right after the instant it happened at (all events of one instant share it: see
-- int_engagement_instants_scored) and its contact's current company. The event grain is written
-- here once: fct_contact_score_components reads it rather than a copy.
--
-- Points are stored as earned, not decayed: the decay to the as-of day would change every row
-- every day. fct_contact_score_components decays them where it sums them per contact and event
-- type (macro `decayed_to_as_of`), and dim_contacts sums those.
--
-- Incremental by contact (macros/incremental.sql). A row depends on the as-of day only through
-- the cut at its end and the contact's current company (in the contact's fingerprint:
-- int_contacts_fingerprinted). So a run recomputes every event of the contacts whose inputs
-- changed (the strategy writes those that came out different), adds for every other contact
-- its events after the latest event held and before the end of the as-of day (a later day
-- than the last build's), and the strategy removes the rows dated at or after the end of the
-- as-of day (an earlier day). A next day with no new facts adds that day's events and
-- rewrites nothing.
--
-- A change of columns is a change of the project, which rebuilds it in full
-- (`on_schema_change='fail'` only guards against a build that would not).
--
-- Scale: an incremental run reads the attributed events of the contacts to rebuild and of the
-- days the as-of day moved over, and deletes and writes only the rows that changed.
{#- The rows a build computes, up to the as-of day: those of the contacts to rebuild from the
    instant each is rebuilt from, and those of every contact after the latest event held. #}
{%- set held_until = '(select occurred_at from held_until)' %}

with

{% if is_incremental() %}

-- the latest event this table holds: later ones, up to the end of the as-of day, are new here
held_until as (

    select coalesce(max(occurred_at), {{ earliest_timestamp() }}) as occurred_at
    from {{ this }}

),

{% endif %}

-- the attributed events run past the as-of day (they do not depend on it); this ends with it
events as (

    select * from {{ rows_to_rebuild(ref('int_engagement_events_attributed'), or_after=held_until) }}
    where occurred_at < {{ as_of_at() }}

),

instants as (

    select
        contact_id,
        occurred_at,
        score_after_instant

    from {{ rows_to_rebuild(ref('int_engagement_instants_scored'), or_after=held_until) }}
    where occurred_at < {{ as_of_at() }}

),

companies_matched as (

    select
        contact_id,
        company_id

    from {{ ref('int_contacts_matched_to_companies') }}
    where is_current

),

final as (

    select
        -- ids
        events.event_id,
        events.contact_id,
        companies_matched.company_id,

        -- strings
        events.event_type,

        -- numerics
        events.base_points,
        events.points,
        instants.score_after_instant as score_after_event,

        -- booleans
        events.is_known_event_type,
        events.is_interest_signal,
        events.is_high_intent,
        events.is_capped,

        -- timestamps
        events.occurred_at,
        {{ build_started_at() }} as built_at

    from events
    inner join instants
        on
            events.contact_id = instants.contact_id
            and events.occurred_at = instants.occurred_at
    left join companies_matched
        on events.contact_id = companies_matched.contact_id

)

select * from final
