-- One row per contact identified by the as-of day: its last interaction *from* the contact and
-- when the retention period of its personal data ends (var `retention_months`, 36 by default:
-- a prospect is kept about three years after the last contact that came from them, or after it
-- was collected when it never answered).
--
-- An interaction from the contact is an interest signal (`is_interest_signal` in the
-- `engagement_event_points` seed: a form, a download, a reply, a webinar, a LinkedIn
-- interaction, a demo request, an event attended) or a sales activity in which the contact took
-- part (var `retention_activity_types`: calls, meetings, demos). What the contact only received
-- or glanced at (an email opened or clicked, a page viewed) never extends retention.
-- A customer's data is kept under its contract, not under the prospecting policy: no end.
--
-- Reads the engagement instants (one row per contact and instant, far fewer than events) and the
-- sales activities once each.
with

contacts as (

    select
        contact_id,
        identified_at,
        customer_at

    from {{ ref('int_contacts_staged') }}

),

interactions as (

    select
        contact_id,
        occurred_at

    from {{ ref('int_engagement_instants_scored') }}
    where has_interest_signal and occurred_at < {{ as_of_at() }}

    union all

    select
        contact_id,
        occurred_at

    from {{ ref('int_sales_activities_attributed') }}
    where
        activity_type in (
            {%- for activity_type in var('retention_activity_types') %}
                '{{ activity_type }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )

),

last_interactions as (

    select
        contact_id,
        max(occurred_at) as last_interaction_at

    from interactions
    group by contact_id

),

retention_started as (

    select
        contacts.contact_id,
        last_interactions.last_interaction_at,
        contacts.customer_at,
        -- an interaction before the record was made does not date its collection back
        case
            when last_interactions.last_interaction_at > contacts.identified_at
                then last_interactions.last_interaction_at
            else contacts.identified_at
        end as retention_from_at

    from contacts
    left join last_interactions
        on contacts.contact_id = last_interactions.contact_id

),

retention_ended as (

    select
        contact_id,
        last_interaction_at,
        retention_from_at,
        case
            when customer_at is null
                then {{ add_months('retention_from_at', var('retention_months')) }}
        end as retention_ends_at

    from retention_started

),

final as (

    select
        -- ids
        contact_id,

        -- booleans
        coalesce(retention_ends_at < {{ as_of_at() }}, false) as is_past_retention,

        -- timestamps
        last_interaction_at,
        retention_from_at,
        retention_ends_at

    from retention_ended

)

select * from final
