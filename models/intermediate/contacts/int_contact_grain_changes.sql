{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='delete+insert',
        unique_key='contact_id',
        meta={'materialized_because': (
            'change tracking: an incremental run compares each person with the last build'
        )},
    )
}}

-- One row per person (a deduplicated contact) the contact grain has computed, with a
-- fingerprint of its records and when a build last found it changed: the persons whose rows
-- the incremental-by-person models (int_contact_epochs, int_contacts_matched_to_companies,
-- int_fit_criteria_matched, int_contacts_fit_scored; macros/incremental.sql) compute again. A person changed since the
-- last build when:
-- - its records changed: one joined or left it, or is known from another instant
--   (int_contact_ids_mapped, the fingerprint), or the seeds the contact grain reads changed
--   (icp_criteria, icp_grade_bands, free_mail_domains: then every person did);
-- - a version of one of its records was loaded since;
-- - the as-of day moved, either way, over a date of one of its records' versions that the grain
--   compares with it (when the version is valid from and to, when the record was created);
-- - a company it was or may now be matched to changed: a version of it was loaded since, or
--   the as-of day moved over its versions' validity or over an instant the months since its last
--   funding round cross a criterion's bound (int_company_periods). The persons are those the
--   last build matched to it, those whose company id names it, and those whose email or company
--   domain is one of its domains or under one.
-- A person that is gone (merged into another, not known on an earlier as-of day) keeps a row
-- without fingerprint, so that its rows are removed.
--
-- Scale: the fingerprints are a grouping of the records' ids (a million at 1 M contacts); the
-- other reasons scan the versions' dates and the companies, and read the held epochs and
-- matches only for the companies that changed. A day that delivers only events finds few
-- persons, where the contact grain rebuilt in full wrote a million rows to each table.
with

contact_ids as (

    select
        source_contact_id,
        contact_id,
        {{ row_text(['source_contact_id', 'known_from_at']) }} as record_text

    from {{ ref('int_contact_ids_mapped') }}

),

-- the seeds the contact grain reads: a change to any changes every person's fingerprint
configuration as (

    select
        (
            select {{ dbt.listagg(
                row_text(['criterion', 'subject', 'attribute', 'match_value', 'min_value', 'max_value', 'points']),
                "';'",
                'order by criterion'
            ) }}
            from {{ ref('icp_criteria') }}
        )
        || '#' || (
            select {{ dbt.listagg(row_text(['grade', 'min_score', 'is_icp']), "';'", 'order by grade') }}
            from {{ ref('icp_grade_bands') }}
        )
        || '#' || (
            select {{ dbt.listagg('domain', "';'", 'order by domain') }}
            from {{ ref('free_mail_domains') }}
        ) as configuration_text

),

-- in any order
records_summed as (

    select
        contact_id,
        {{ b2b_funnel.unordered_rows_text('record_text') }} as records_text

    from contact_ids
    group by contact_id

),

configuration_hashed as (

    select {{ dbt.hash('configuration_text') }} as configuration_hash
    from configuration

),

fingerprints as (

    select
        records_summed.contact_id,
        {{ dbt.hash("configuration_hashed.configuration_hash || '#' || records_summed.records_text") }}
            as records_fingerprint

    from records_summed
    cross join configuration_hashed

),

contact_versions as (

    select
        contact_id as source_contact_id,
        loaded_at,
        valid_from_at,
        valid_to_at,
        created_at

    from {{ ref('stg_landing__contacts') }}

),

-- materialised once: staging's companies are a view, read four times here
company_versions as (

    select
        company_id,
        version_number,
        domain,
        last_funding_date,
        loaded_at,
        valid_from_at,
        valid_to_at

    from {{ ref('stg_landing__companies') }}

),

-- the latest versions loaded: the next build's new versions are those loaded after them
loaded as (

    select
        (select max(loaded_at) from contact_versions) as contacts_loaded_until,
        (select max(loaded_at) from company_versions) as companies_loaded_until

),

{% if is_incremental() %}

-- what the last build that found a change was as of and had loaded (a later build that found
-- none computed the same rows)
previous_build as (

    select
        built_as_of_at,
        contacts_loaded_until,
        companies_loaded_until

    from {{ this }}
    where changed_at = (select max(changed_at) from {{ this }})
    limit 1

),

-- the instants between the last build's as-of day and this one's: a date among them is on the
-- other side of the as-of day now
moved_over as (

    select
        least(built_as_of_at, {{ as_of_at() }}) as moved_from_at,
        greatest(built_as_of_at, {{ as_of_at() }}) as moved_to_at,
        contacts_loaded_until,
        companies_loaded_until

    from previous_build

),

records_changed as (

    select contact_versions.source_contact_id

    from contact_versions
    cross join moved_over
    where
        contact_versions.loaded_at > moved_over.contacts_loaded_until
        {%- for column in ['valid_from_at', 'valid_to_at', 'created_at'] %}
            or (
                contact_versions.{{ column }} >= moved_over.moved_from_at
                and contact_versions.{{ column }} < moved_over.moved_to_at
            )
        {%- endfor %}

),

funding_changes as (

    {{ funding_changes('company_versions') }}

),

companies_changed as (

    select company_versions.company_id

    from company_versions
    cross join moved_over
    where
        company_versions.loaded_at > moved_over.companies_loaded_until
        {%- for column in ['valid_from_at', 'valid_to_at'] %}
            or (
                company_versions.{{ column }} >= moved_over.moved_from_at
                and company_versions.{{ column }} < moved_over.moved_to_at
            )
        {%- endfor %}

    union

    select funding_changes.company_id

    from funding_changes
    cross join moved_over
    where
        funding_changes.changed_at >= moved_over.moved_from_at
        and funding_changes.changed_at < moved_over.moved_to_at

),

-- every domain the changed companies had, in any version
company_domains_changed as (

    select distinct company_versions.domain

    from company_versions
    inner join companies_changed
        on company_versions.company_id = companies_changed.company_id
    where company_versions.domain is not null

),

{% set epochs_held = b2b_funnel.model_relation('int_contact_epochs') %}
{% set matched_held = b2b_funnel.model_relation('int_contacts_matched_to_companies') %}
-- the persons a changed company may concern, as the last build left them (a person that
-- changed otherwise is computed again anyway)
persons_of_companies_changed as (

    {% if matched_held is not none %}
        select matched.contact_id
        from {{ matched_held }} as matched
        inner join companies_changed
            on matched.company_id = companies_changed.company_id

        union
    {% endif %}

    {% if epochs_held is not none %}
        select epochs.contact_id
        from {{ epochs_held }} as epochs
        inner join companies_changed
            on epochs.company_id = companies_changed.company_id

        -- a domain matches a company of that domain or of one of its parents
        {% for domain in [dbt.split_part('epochs.email', "'@'", 2), 'epochs.company_domain'] %}
            {% for levels_up in range(b2b_funnel.max_domain_parent_levels() + 1) %}
                union
                select epochs.contact_id
                from {{ epochs_held }} as epochs
                inner join company_domains_changed
                    on {{ b2b_funnel.parent_domain(domain, levels_up) }} = company_domains_changed.domain
            {% endfor %}
        {% endfor %}
    {% else %}
        select cast(null as {{ dbt.type_string() }}) as contact_id
    {% endif %}

),

{% endif %}

changes as (

    {% if is_incremental() -%}
        select coalesce(fingerprints.contact_id, previous.contact_id) as contact_id

        from fingerprints
        full outer join {{ this }} as previous
            on fingerprints.contact_id = previous.contact_id
        -- null-safe: a person gone (null) that comes back
        where fingerprints.records_fingerprint is distinct from previous.records_fingerprint

        union

        select contact_ids.contact_id

        from contact_ids
        inner join records_changed
            on contact_ids.source_contact_id = records_changed.source_contact_id

        union

        select contact_id
        from persons_of_companies_changed
        where contact_id is not null

    {%- else -%}
        select contact_id from fingerprints
    {%- endif %}

),

final as (

    select
        -- ids
        changes.contact_id,

        -- strings
        fingerprints.records_fingerprint,

        -- timestamps
        {{ build_started_at() }} as changed_at,
        {{ as_of_at() }} as built_as_of_at,
        loaded.contacts_loaded_until,
        loaded.companies_loaded_until

    from changes
    left join fingerprints
        on changes.contact_id = fingerprints.contact_id
    cross join loaded

)

select * from final
