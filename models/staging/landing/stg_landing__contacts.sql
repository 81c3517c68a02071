{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='delete+insert',
        unique_key='contact_id',
        meta={'materialized_because': (
            'a million contacts ranked into versions and normalised with regular expressions:'
            ' as a view, that work would run again for each of its readers (four intermediate'
            ' models, the dbt tests, the quality suite), about as long as building it once;'
            ' incremental, because a day without a contact delivery changes none of its rows'
        )},
    )
}}

-- Incremental (on DuckDB): a run ranks again every version of the contacts whose id a load
-- since the latest it holds names, and replaces their rows; a day that delivers only events
-- reads the raw contacts' load times and writes nothing. A forgotten delivery or a new
-- vocabulary needs a full refresh, which `funnel run` decides by itself
-- (orchestration/dbt_builds.py).
with

source as (

    select * from {{ source('landing', 'contacts') }}
    {% if is_incremental() -%}
        where trim(contact_id) in (
            select trim(contact_id) from {{ source('landing', 'contacts') }}
            where _loaded_at > (select coalesce(max(loaded_at), {{ earliest_timestamp() }}) from {{ this }})
        )
    {%- endif %}

),

vocabulary as (

    select * from {{ ref('vocabulary_synonyms') }}

),

-- raw keeps every version of a contact, and so does staging: the versions of one id are ordered
-- by updated_at (unknown first), then load time, then line (then file, for a full tie). Version k
-- is valid from its updated_at (the first from the beginning of time: null) until the next
-- version's updated_at (the latest until further notice: null). A version followed by another
-- whose updated_at is unknown too was superseded from the beginning of time: it was never valid.
versions_ordered as (

    select
        *,
        trim(contact_id) as trimmed_contact_id,
        row_number() over by_version as version_number,
        -- the next version's updated_at; the earliest timestamp (1900-01-01) when it is unknown
        -- (never valid)
        lead(
            coalesce(updated_at, {{ earliest_timestamp() }})
        ) over by_version as valid_to_at

    from source
    window by_version as (
        partition by trim(contact_id)
        order by updated_at asc nulls first, _loaded_at asc, _line_number asc, _file_path asc
    )

),

renamed as (

    select
        -- ids
        contact_version.trimmed_contact_id as contact_id,
        {{ clean_text('contact_version.company_id') }} as company_id,

        -- strings
        {{ normalize_email('contact_version.email') }} as email,
        {{ clean_text('contact_version.first_name') }} as first_name,
        {{ clean_text('contact_version.last_name') }} as last_name,
        {{ clean_text('contact_version.phone') }} as phone,
        {{ clean_text('contact_version.job_title') }} as job_title,
        coalesce(seniorities.canonical_value, {{ normalize_vocabulary('contact_version.seniority') }}) as seniority,
        coalesce(departments.canonical_value, {{ normalize_vocabulary('contact_version.department') }}) as department,
        {{ clean_text('contact_version.linkedin_url') }} as linkedin_url,
        {{ normalize_domain('contact_version.company_domain') }} as company_domain,
        coalesce(countries.canonical_value, upper({{ clean_text('contact_version.country') }})) as country_code,
        {{ normalize_vocabulary('contact_version.lead_source') }} as lead_source,

        -- numerics
        contact_version.version_number,

        -- booleans
        coalesce(contact_version.opted_out, false) as is_opted_out,
        {{ is_valid_email(normalize_email('contact_version.email')) }} as is_valid_email,

        -- timestamps
        contact_version.created_at,
        contact_version.updated_at,
        case when contact_version.version_number > 1 then contact_version.updated_at end as valid_from_at,
        contact_version.valid_to_at,
        contact_version._loaded_at as loaded_at

    from versions_ordered as contact_version
    left join vocabulary as seniorities
        on
            seniorities.domain = 'seniority'
            and seniorities.synonym = {{ normalize_vocabulary('contact_version.seniority') }}
    left join vocabulary as departments
        on
            departments.domain = 'department'
            and departments.synonym = {{ normalize_vocabulary('contact_version.department') }}
    left join vocabulary as countries
        on
            countries.domain = 'country'
            and countries.synonym = {{ normalize_vocabulary('contact_version.country') }}

)

select * from renamed
