{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='replace_persons',
        meta={'materialized_because': (
            'a row per person and epoch (a million at 1 M contacts), of which a day changes a few:'
            ' incremental by person (int_contact_grain_changes)'
        )},
    )
}}
-- depends_on: {{ ref('int_contact_grain_changes') }}

-- Each contact's company in each of its epochs (int_contact_epochs; the current one is the
-- contact on the as-of day): by company_id when it names a known company, else by the email's
-- domain, else by the company domain given on the contact. A domain matches a company whose
-- domain is that domain or one of its parents ('paris.sales.acme.fr' -> 'sales.acme.fr' ->
-- 'acme.fr'), the longest first; only company domains are looked up, so a public suffix ('fr',
-- 'co.uk') never matches by itself. A free-mail domain (seed `free_mail_domains`) or any of its
-- subdomains never matches. When several companies share a domain, the smallest company_id is
-- taken, so the match is stable. Companies are read as of the as-of day.
-- Incremental by person on DuckDB (macros/incremental.sql): a run computes the persons
-- int_contact_grain_changes found changed, and keeps the others' rows.
--
-- Scale: a domain's company depends on the domain alone, so each distinct domain is matched
-- once (171 k in the synthetic 1 M base, whose epochs name 1.7 M domains) and the epochs look
-- their two domains up by equality (2.3 s against 0.8 s alone at 1 M contacts).
with

contacts as (

    select
        contact_id,
        epoch_number,
        valid_from_at,
        valid_to_at,
        company_id,
        nullif({{ dbt.split_part('email', "'@'", 2) }}, '') as email_domain,
        company_domain

    from {{ ref('int_contact_epochs') }}
    where {{ b2b_funnel.is_person_to_rebuild('contact_id') }}

),

companies as (

    select
        company_id,
        domain

    from {{ ref('int_companies_as_of') }}

),

free_mail_domains as (

    select domain from {{ ref('free_mail_domains') }}

),

company_domains as (

    select
        domain,
        min(company_id) as company_id

    from companies
    where domain is not null
    group by domain

),

-- every domain a contact can be matched by, once
contact_domains as (

    select email_domain as domain
    from contacts
    where email_domain is not null

    union

    select company_domain as domain
    from contacts
    where company_domain is not null

),

contact_domains_counted as (

    select
        domain,
        length(domain) - length(replace(domain, '.', '')) as dot_count

    from contact_domains

),

-- each domain and its parents that still have a dot, `levels_up` labels removed (up to
-- {{ b2b_funnel.max_domain_parent_levels() }} levels)
domain_candidates as (

    {% for levels_up in range(b2b_funnel.max_domain_parent_levels() + 1) %}
        select
            domain,
            {{ levels_up }} as levels_up,
            {{ b2b_funnel.parent_domain('domain', levels_up) }} as candidate_domain

        from contact_domains_counted
        {% if levels_up > 0 %}where dot_count > {{ levels_up }}{% endif %}

        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- a domain that is a free-mail domain or one of its subdomains says nothing about the company
free_mail_contact_domains as (

    select distinct domain_candidates.domain

    from domain_candidates
    inner join free_mail_domains
        on domain_candidates.candidate_domain = free_mail_domains.domain

),

domain_matches_ranked as (

    select
        domain_candidates.domain,
        company_domains.company_id,
        row_number() over (
            partition by domain_candidates.domain
            order by domain_candidates.levels_up
        ) as match_rank

    from domain_candidates
    inner join company_domains
        on domain_candidates.candidate_domain = company_domains.domain
    left join free_mail_contact_domains
        on domain_candidates.domain = free_mail_contact_domains.domain
    where free_mail_contact_domains.domain is null

),

domain_matches as (

    select
        domain,
        company_id

    from domain_matches_ranked
    where match_rank = 1

),

final as (

    select
        contacts.contact_id,
        contacts.epoch_number,
        contacts.valid_from_at,
        contacts.valid_to_at,
        contacts.valid_to_at is null as is_current,
        coalesce(
            by_id.company_id, by_email_domain.company_id, by_given_domain.company_id
        ) as company_id,
        case
            when by_id.company_id is not null then 'company_id'
            when by_email_domain.company_id is not null then 'email_domain'
            when by_given_domain.company_id is not null then 'company_domain'
        end as company_match_method,
        {{ build_started_at() }} as built_at

    from contacts
    left join companies as by_id
        on contacts.company_id = by_id.company_id
    left join domain_matches as by_email_domain
        on contacts.email_domain = by_email_domain.domain
    left join domain_matches as by_given_domain
        on contacts.company_domain = by_given_domain.domain

)

select * from final
