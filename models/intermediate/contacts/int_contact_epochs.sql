{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='replace_persons',
        meta={'materialized_because': (
            'a million persons at 1 M contacts, of whom a day changes a few:'
            ' incremental by person (int_contact_grain_changes), where a table wrote every row each day'
        )},
    )
}}
-- depends_on: {{ ref('int_contact_grain_changes') }}

-- One row per person and epoch: a span of time over which the person's attributes stay the same,
-- from when one of its records became known or changed (a new version) until the next such
-- instant. At each epoch's start, every record of the person known by then is read in its
-- version valid at that instant, and the person is made of them by survivorship: the most
-- recently updated record wins, and each value it lacks is filled from the other records, most
-- recently updated first; the person is opted out when any record is. The first epoch is valid
-- from the beginning of time, so the person's first facts always find its attributes. The
-- epoch valid at the end of the as-of day is the person as int_contacts_deduplicated holds it;
-- the others let the funnel read each past day with the attributes known that day.
-- Incremental by person on DuckDB (macros/incremental.sql): a run computes the persons
-- int_contact_grain_changes found changed, and keeps the others' rows.
{%- set survived_columns = [
    'company_id', 'email', 'first_name', 'last_name', 'phone', 'job_title', 'seniority',
    'department', 'linkedin_url', 'company_domain', 'country_code', 'lead_source'
] %}
{%- set epoch_columns = ['contact_id', 'epoch_number', 'started_at', 'valid_to_at', 'source_record_count'] %}

with

contact_versions as (

    select * from {{ ref('stg_landing__contacts') }}
    where valid_from_at is null or valid_from_at < {{ as_of_at() }}

),

-- a record's only version by the end of the as-of day: its first, still valid at that end
-- (a later version, if any, is valid from after it)
records_of_one_version as (

    select contact_id as source_contact_id
    from contact_versions
    where version_number = 1 and (valid_to_at is null or valid_to_at >= {{ as_of_at() }})

),

-- Scale: most persons are one record that had one version by the as-of day (95 % of the
-- synthetic 1 M base): their only epoch is that version, from when the record is known, and
-- only the other persons' epochs are cut from their records' versions with sorts and a join
-- on validity ranges (2.8 s against 1.3 s alone at 1 M contacts)
contact_ids as (

    select
        ids.source_contact_id,
        ids.contact_id,
        ids.known_from_at,
        coalesce(ids.source_record_count = 1 and one_version.source_contact_id is not null, false)
            as is_one_version

    from {{ ref('int_contact_ids_mapped') }} as ids
    left join records_of_one_version as one_version
        on ids.source_contact_id = one_version.source_contact_id
    where {{ b2b_funnel.is_person_to_rebuild('ids.contact_id') }}

),

epoch_starts as (

    select
        contact_id,
        known_from_at as started_at

    from contact_ids
    where not is_one_version

    union

    select
        contact_ids.contact_id,
        contact_versions.valid_from_at as started_at

    from contact_versions
    inner join contact_ids
        on contact_versions.contact_id = contact_ids.source_contact_id
    where
        not contact_ids.is_one_version
        and contact_versions.valid_from_at > contact_ids.known_from_at

),

epochs as (

    select
        contact_id,
        started_at,
        row_number() over (partition by contact_id order by started_at) as epoch_number,
        lead(started_at) over (partition by contact_id order by started_at) as valid_to_at

    from epoch_starts

),

-- every record known at the epoch's start, in its version valid then
records_known as (

    select
        epochs.contact_id,
        epochs.epoch_number,
        epochs.started_at,
        epochs.valid_to_at,
        contact_versions.contact_id as source_contact_id,
        contact_versions.loaded_at,
        {%- for column in survived_columns + ['is_opted_out', 'is_valid_email', 'created_at', 'updated_at'] %}
            contact_versions.{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}

    from epochs
    inner join contact_ids
        on
            epochs.contact_id = contact_ids.contact_id
            and epochs.started_at >= contact_ids.known_from_at
            and not contact_ids.is_one_version
    inner join contact_versions
        on
            contact_ids.source_contact_id = contact_versions.contact_id
            and {{ in_period('epochs.started_at', 'contact_versions.valid_from_at', 'contact_versions.valid_to_at') }}

),

records_counted as (

    select
        contact_id,
        epoch_number,
        count(*) as source_record_count

    from records_known
    group by contact_id, epoch_number

),

records_with_count as (

    select
        records_known.*,
        records_counted.source_record_count

    from records_known
    inner join records_counted
        on
            records_known.contact_id = records_counted.contact_id
            and records_known.epoch_number = records_counted.epoch_number

    union all

    -- a person of one record in one version: one epoch, from when the record is known
    select
        contact_ids.contact_id,
        1 as epoch_number,
        contact_ids.known_from_at as started_at,
        cast(null as {{ dbt.type_timestamp() }}) as valid_to_at,
        contact_versions.contact_id as source_contact_id,
        contact_versions.loaded_at,
        {%- for column in survived_columns + ['is_opted_out', 'is_valid_email', 'created_at', 'updated_at'] %}
            contact_versions.{{ column }},
        {%- endfor %}
        1 as source_record_count

    from contact_ids
    inner join contact_versions
        on
            contact_ids.source_contact_id = contact_versions.contact_id
            and contact_versions.version_number = 1
    where contact_ids.is_one_version

),

-- Scale: nearly every epoch holds one record, which is the person as it is; only the epochs
-- merging several records are ranked and survived with windows (a sort of their rows only)
records_ranked as (

    select
        *,
        row_number() over (
            partition by contact_id, epoch_number
            order by updated_at desc nulls last, loaded_at desc, source_contact_id asc
        ) as recency_rank

    from records_with_count
    where source_record_count > 1

),

values_survived as (

    select
        contact_id,
        epoch_number,
        started_at,
        valid_to_at,
        recency_rank,
        source_record_count,
        {% for column in survived_columns %}
            {{ b2b_funnel.first_value_ignore_nulls(column) }} over by_recency as {{ column }},
        {% endfor %}
        max(case when is_opted_out then 1 else 0 end) over by_epoch = 1 as is_opted_out,
        max(case when is_valid_email then 1 else 0 end) over by_epoch = 1 as has_valid_email,
        -- a record known from a fact before its creation was not created yet on the as-of day
        min(case when created_at < {{ as_of_at() }} then created_at end) over by_epoch as created_at,
        max(updated_at) over by_epoch as updated_at

    from records_ranked
    window
        by_epoch as (partition by contact_id, epoch_number),
        by_recency as (
            partition by contact_id, epoch_number
            order by recency_rank
            rows between unbounded preceding and unbounded following
        )

),

-- an epoch of one record is that record's values; the others, what survived
persons as (

    select
        {% for column in epoch_columns + survived_columns %}
            {{ column }},
        {% endfor %}
        coalesce(is_opted_out, false) as is_opted_out,
        coalesce(is_valid_email, false) as has_valid_email,
        case when created_at < {{ as_of_at() }} then created_at end as created_at,
        updated_at

    from records_with_count
    where source_record_count = 1

    union all

    select
        {% for column in epoch_columns + survived_columns %}
            {{ column }},
        {% endfor %}
        is_opted_out,
        has_valid_email,
        created_at,
        updated_at

    from values_survived
    where recency_rank = 1

),

final as (

    select
        -- ids
        contact_id,
        company_id,

        -- strings
        email,
        first_name,
        last_name,
        phone,
        job_title,
        seniority,
        department,
        linkedin_url,
        company_domain,
        country_code,
        lead_source,

        -- numerics
        epoch_number,
        source_record_count,

        -- booleans
        is_opted_out,
        has_valid_email,

        -- timestamps
        case when epoch_number > 1 then started_at end as valid_from_at,
        valid_to_at,
        created_at,
        updated_at,
        {{ build_started_at() }} as built_at

    from persons

)

select * from final
