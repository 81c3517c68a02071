with

source as (

    select * from {{ source('landing', 'contacts') }}

),

vocabulary as (

    select * from {{ ref('vocabulary_synonyms') }}

),

-- raw keeps every version of a contact: the latest `updated_at` wins, then the latest load
versions_ranked as (

    select
        *,
        row_number() over (
            partition by contact_id
            order by updated_at desc nulls last, _loaded_at desc, _line_number desc
        ) as version_rank

    from source

),

renamed as (

    select
        -- ids
        trim(latest.contact_id) as contact_id,
        {{ clean_text('latest.company_id') }} as company_id,

        -- strings
        {{ normalize_email('latest.email') }} as email,
        {{ clean_text('latest.first_name') }} as first_name,
        {{ clean_text('latest.last_name') }} as last_name,
        {{ clean_text('latest.phone') }} as phone,
        {{ clean_text('latest.job_title') }} as job_title,
        coalesce(seniorities.canonical_value, {{ normalize_vocabulary('latest.seniority') }}) as seniority,
        coalesce(departments.canonical_value, {{ normalize_vocabulary('latest.department') }}) as department,
        {{ clean_text('latest.linkedin_url') }} as linkedin_url,
        {{ normalize_domain('latest.company_domain') }} as company_domain,
        coalesce(countries.canonical_value, upper({{ clean_text('latest.country') }})) as country_code,
        {{ normalize_vocabulary('latest.lead_source') }} as lead_source,

        -- booleans
        coalesce(latest.opted_out, false) as is_opted_out,
        {{ is_valid_email(normalize_email('latest.email')) }} as is_valid_email,

        -- timestamps
        latest.created_at,
        latest.updated_at,
        latest._loaded_at as loaded_at

    from versions_ranked as latest
    left join vocabulary as seniorities
        on
            seniorities.domain = 'seniority'
            and seniorities.synonym = {{ normalize_vocabulary('latest.seniority') }}
    left join vocabulary as departments
        on
            departments.domain = 'department'
            and departments.synonym = {{ normalize_vocabulary('latest.department') }}
    left join vocabulary as countries
        on
            countries.domain = 'country'
            and countries.synonym = {{ normalize_vocabulary('latest.country') }}
    where latest.version_rank = 1

)

select * from renamed
