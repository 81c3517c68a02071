-- Each contact's company: by company_id when it names a known company, else by the email's
-- domain against company domains, else by the company domain given on the contact. Free-mail
-- domains (seed `free_mail_domains`) never match. When several companies share a domain, the
-- smallest company_id is taken, so the match is stable.
with

contacts as (

    select
        contact_id,
        company_id,
        email,
        company_domain

    from {{ ref('int_contacts_deduplicated') }}

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

contacts_with_domains as (

    select
        contacts.contact_id,
        contacts.company_id as given_company_id,
        case
            when email_free_mail.domain is null then {{ dbt.split_part('contacts.email', "'@'", 2) }}
        end as email_domain,
        case when given_free_mail.domain is null then contacts.company_domain end as given_domain

    from contacts
    left join free_mail_domains as email_free_mail
        on {{ dbt.split_part('contacts.email', "'@'", 2) }} = email_free_mail.domain
    left join free_mail_domains as given_free_mail
        on contacts.company_domain = given_free_mail.domain

),

final as (

    select
        contacts_with_domains.contact_id,
        coalesce(
            by_id.company_id, by_email_domain.company_id, by_given_domain.company_id
        ) as company_id,
        case
            when by_id.company_id is not null then 'company_id'
            when by_email_domain.company_id is not null then 'email_domain'
            when by_given_domain.company_id is not null then 'company_domain'
        end as company_match_method

    from contacts_with_domains
    left join companies as by_id
        on contacts_with_domains.given_company_id = by_id.company_id
    left join company_domains as by_email_domain
        on contacts_with_domains.email_domain = by_email_domain.domain
    left join company_domains as by_given_domain
        on contacts_with_domains.given_domain = by_given_domain.domain

)

select * from final
