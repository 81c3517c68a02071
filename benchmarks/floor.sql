-- The floor: `dim_contacts` and `fct_funnel_transitions` computed in one DuckDB script, from the
-- landing files `funnel run` reads, with the models' rules and nothing else: no load history or
-- quarantine, no checks, no other public table, no publication. It is the yardstick the
-- pipeline's time is measured against (docs/benchmarks.md).
--
-- `benchmarks/floor.py` runs it. It sets the variables (`as_of` and `as_of_at`, the end of that
-- day; the dbt vars of dbt_project.yml under their own names; `seeds_dir`; the orders of the
-- `sql` and `opportunity` states) and the views `landing_<entity>`: each entity's landing files
-- as text, with `_file_path`, `_line_number` and `_loaded_at`. It reads the two tables this
-- script leaves in the main database.
--
-- One section per model the two tables need, named after it and with its header comment, holding
-- only what the two tables read. When a model's rule changes, its section here changes with it:
-- tests/e2e/test_floor_parity.py fails until then.

-- ===== the loader's parsing: a value that does not parse is null, and its row is refused below
create or replace temp macro text_value(v) as nullif(trim(v), '');
create or replace temp macro as_timestamp(v) as coalesce(
    try_cast(text_value(v) as timestamptz) at time zone 'UTC',
    try_strptime(text_value(v), ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y'])
);
create or replace temp macro as_date(v) as coalesce(
    try_cast(text_value(v) as date), cast(try_strptime(text_value(v), '%d/%m/%Y') as date)
);
create or replace temp macro as_bigint(v) as
    try_cast(regexp_replace(text_value(v), '[\s\x{00a0}]', '', 'g') as bigint);
-- "1 234,5" (French) and "1,234.5" (English) both read as 1234.5
create or replace temp macro as_double(v) as try_cast(
    case
        when contains(regexp_replace(text_value(v), '[\s\x{00a0}]', '', 'g'), '.')
            then replace(regexp_replace(text_value(v), '[\s\x{00a0}]', '', 'g'), ',', '')
        else replace(regexp_replace(text_value(v), '[\s\x{00a0}]', '', 'g'), ',', '.')
    end as double
);
create or replace temp macro as_boolean(v) as case
    when lower(text_value(v)) in ('true', 't', '1', 'yes', 'y', 'oui', 'vrai') then true
    when lower(text_value(v)) in ('false', 'f', '0', 'no', 'n', 'non', 'faux') then false
end;
-- a value given that does not parse refuses its row, like a missing required one
create or replace temp macro parses(v, parsed) as text_value(v) is null or parsed is not null;

-- ===== raw: the rows the loader accepts, typed (views: each is read once)
create or replace temp view raw_companies as
select
    text_value(company_id) as company_id,
    text_value(domain) as domain,
    text_value(industry) as industry,
    as_bigint(employee_count) as employee_count,
    as_double(annual_revenue_eur) as annual_revenue_eur,
    text_value(country) as country,
    as_bigint(open_jobs) as open_jobs,
    as_date(last_funding_date) as last_funding_date,
    as_double(last_funding_amount_eur) as last_funding_amount_eur,
    as_double(headcount_growth_pct) as headcount_growth_pct,
    as_timestamp(updated_at) as updated_at,
    _file_path,
    _line_number,
    _loaded_at
from landing_companies as l
where
    text_value(l.company_id) is not null
    and parses(l.employee_count, as_bigint(l.employee_count))
    and parses(l.annual_revenue_eur, as_double(l.annual_revenue_eur))
    and parses(l.founded_year, as_bigint(l.founded_year))
    and parses(l.open_jobs, as_bigint(l.open_jobs))
    and parses(l.last_funding_date, as_date(l.last_funding_date))
    and parses(l.last_funding_amount_eur, as_double(l.last_funding_amount_eur))
    and parses(l.headcount_growth_pct, as_double(l.headcount_growth_pct))
    and parses(l.updated_at, as_timestamp(l.updated_at));

create or replace temp view raw_contacts as
select
    text_value(contact_id) as contact_id,
    text_value(first_name) as first_name,
    text_value(last_name) as last_name,
    text_value(email) as email,
    text_value(phone) as phone,
    text_value(job_title) as job_title,
    text_value(seniority) as seniority,
    text_value(department) as department,
    text_value(linkedin_url) as linkedin_url,
    text_value(company_id) as company_id,
    text_value(company_domain) as company_domain,
    text_value(country) as country,
    text_value(lead_source) as lead_source,
    as_boolean(opted_out) as opted_out,
    as_timestamp(created_at) as created_at,
    as_timestamp(updated_at) as updated_at,
    _file_path,
    _line_number,
    _loaded_at
from landing_contacts as l
where
    text_value(l.contact_id) is not null
    and coalesce(text_value(l.email), text_value(l.company_id)) is not null
    and parses(l.opted_out, as_boolean(l.opted_out))
    and parses(l.created_at, as_timestamp(l.created_at))
    and parses(l.updated_at, as_timestamp(l.updated_at));

-- every typed column of an event is required: each value is parsed once, and its row kept when
-- it parses
create or replace temp view raw_engagement_events as
select *
from (
    select
        text_value(event_id) as event_id,
        text_value(event_type) as event_type,
        as_timestamp(occurred_at) as occurred_at,
        text_value(contact_id) as contact_id,
        text_value(email) as email,
        _file_path,
        _line_number,
        _loaded_at
    from landing_engagement_events
)
where
    event_id is not null
    and event_type is not null
    and occurred_at is not null
    and coalesce(contact_id, email) is not null;

create or replace temp view raw_sales_activities as
select
    text_value(activity_id) as activity_id,
    text_value(contact_id) as contact_id,
    text_value(activity_type) as activity_type,
    as_timestamp(occurred_at) as occurred_at,
    text_value(outcome) as outcome,
    as_boolean(need_identified) as need_identified,
    as_boolean(budget_confirmed) as budget_confirmed,
    as_boolean(decision_capacity) as decision_capacity,
    text_value(disqualification_reason) as disqualification_reason,
    _file_path,
    _line_number,
    _loaded_at
from landing_sales_activities as l
where
    text_value(l.activity_id) is not null
    and text_value(l.contact_id) is not null
    and text_value(l.activity_type) is not null
    and as_timestamp(l.occurred_at) is not null
    and parses(l.need_identified, as_boolean(l.need_identified))
    and parses(l.budget_confirmed, as_boolean(l.budget_confirmed))
    and parses(l.decision_capacity, as_boolean(l.decision_capacity));

create or replace temp view raw_opportunities as
select
    text_value(opportunity_id) as opportunity_id,
    text_value(contact_id) as contact_id,
    text_value(company_id) as company_id,
    as_timestamp(created_at) as created_at,
    as_timestamp(closed_at) as closed_at,
    as_boolean(is_won) as is_won,
    _file_path,
    _line_number,
    _loaded_at
from landing_opportunities as l
where
    text_value(l.opportunity_id) is not null
    and as_timestamp(l.created_at) is not null
    and coalesce(text_value(l.contact_id), text_value(l.company_id)) is not null
    and parses(l.amount_eur, as_double(l.amount_eur))
    and parses(l.closed_at, as_timestamp(l.closed_at))
    and parses(l.is_won, as_boolean(l.is_won));

-- ===== seeds: the configuration, read from the project's seed files
create or replace temp table seed_vocabulary_synonyms as
select * from read_csv(getvariable('seeds_dir') || '/vocabulary_synonyms.csv', header = true);
create or replace temp table seed_free_mail_domains as
select * from read_csv(getvariable('seeds_dir') || '/free_mail_domains.csv', header = true);
create or replace temp table seed_icp_criteria as
select * from read_csv(
    getvariable('seeds_dir') || '/icp_criteria.csv', header = true,
    types = {'min_value': 'DOUBLE', 'max_value': 'DOUBLE', 'points': 'INTEGER'}
);
create or replace temp table seed_icp_grade_bands as
select * from read_csv(
    getvariable('seeds_dir') || '/icp_grade_bands.csv', header = true,
    types = {'min_score': 'INTEGER'}
);
create or replace temp table seed_engagement_event_points as
select * from read_csv(
    getvariable('seeds_dir') || '/engagement_event_points.csv', header = true,
    types = {'points': 'INTEGER', 'max_per_period': 'INTEGER'}
);
create or replace temp table seed_funnel_states as
select * from read_csv(
    getvariable('seeds_dir') || '/funnel_states.csv', header = true,
    types = {'state_order': 'INTEGER'}
);

-- ===== stg_landing__contacts
create or replace temp table stg_landing__contacts as
with

source as (

    select * from raw_contacts

),

vocabulary as (

    select * from seed_vocabulary_synonyms

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
        -- the next version's updated_at; 0001-01-01 when it is unknown (never valid)
        lead(
            coalesce(updated_at, cast('0001-01-01 00:00:00' as timestamp))
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
        nullif(trim(contact_version.company_id), '') as company_id,

        -- strings
        nullif(nfc_normalize(lower(trim(contact_version.email))), '') as email,
        nullif(trim(contact_version.first_name), '') as first_name,
        nullif(trim(contact_version.last_name), '') as last_name,
        nullif(trim(contact_version.phone), '') as phone,
        nullif(trim(contact_version.job_title), '') as job_title,
        coalesce(seniorities.canonical_value, nullif(regexp_replace(lower(trim(contact_version.seniority)), '[ _-]+', '_', 'g'), '')) as seniority,
        coalesce(departments.canonical_value, nullif(regexp_replace(lower(trim(contact_version.department)), '[ _-]+', '_', 'g'), '')) as department,
        nullif(trim(contact_version.linkedin_url), '') as linkedin_url,
        nullif(
        regexp_replace(nfc_normalize(lower(trim(contact_version.company_domain))), '^([a-z]+://)?(www[.])?|[/?#].*$|[.]$', '', 'g'),
        ''
    ) as company_domain,
        coalesce(countries.canonical_value, upper(nullif(trim(contact_version.country), ''))) as country_code,
        nullif(regexp_replace(lower(trim(contact_version.lead_source)), '[ _-]+', '_', 'g'), '') as lead_source,

        -- numerics
        contact_version.version_number,

        -- booleans
        coalesce(contact_version.opted_out, false) as is_opted_out,
        coalesce(regexp_full_match(nullif(nfc_normalize(lower(trim(contact_version.email))), ''), '[\p{L}\p{M}\p{N}._%+-]+@[\p{L}\p{M}\p{N}-]+([.][\p{L}\p{M}\p{N}-]+)*[.]((\p{L}\p{M}*){2,}|xn--[a-z0-9-]+)'), false) as is_valid_email,

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
            and seniorities.synonym = nullif(regexp_replace(lower(trim(contact_version.seniority)), '[ _-]+', '_', 'g'), '')
    left join vocabulary as departments
        on
            departments.domain = 'department'
            and departments.synonym = nullif(regexp_replace(lower(trim(contact_version.department)), '[ _-]+', '_', 'g'), '')
    left join vocabulary as countries
        on
            countries.domain = 'country'
            and countries.synonym = nullif(regexp_replace(lower(trim(contact_version.country)), '[ _-]+', '_', 'g'), '')

)

select * from renamed
;

-- ===== stg_landing__companies
create or replace temp table stg_landing__companies as
with

source as (

    select * from raw_companies

),

vocabulary as (

    select * from seed_vocabulary_synonyms

),

-- raw keeps every version of a company, and so does staging: the versions of one id are ordered
-- by updated_at (unknown first), then load time, then line (then file, for a full tie). Version k
-- is valid from its updated_at (the first from the beginning of time: null) until the next
-- version's updated_at (the latest until further notice: null). A version followed by another
-- whose updated_at is unknown too was superseded from the beginning of time: it was never valid.
versions_ordered as (

    select
        *,
        trim(company_id) as trimmed_company_id,
        row_number() over by_version as version_number,
        -- the next version's updated_at; 0001-01-01 when it is unknown (never valid)
        lead(
            coalesce(updated_at, cast('0001-01-01 00:00:00' as timestamp))
        ) over by_version as valid_to_at

    from source
    window by_version as (
        partition by trim(company_id)
        order by updated_at asc nulls first, _loaded_at asc, _line_number asc, _file_path asc
    )

),

renamed as (

    select
        -- ids
        company_version.trimmed_company_id as company_id,

        -- strings
        nullif(
        regexp_replace(nfc_normalize(lower(trim(company_version.domain))), '^([a-z]+://)?(www[.])?|[/?#].*$|[.]$', '', 'g'),
        ''
    ) as domain,
        nullif(trim(company_version.industry), '') as industry,
        coalesce(countries.canonical_value, upper(nullif(trim(company_version.country), ''))) as country_code,

        -- numerics
        company_version.employee_count,
        company_version.annual_revenue_eur,
        company_version.open_jobs,
        company_version.last_funding_amount_eur,
        company_version.headcount_growth_pct,
        company_version.version_number,

        -- dates
        company_version.last_funding_date,

        -- timestamps
        company_version.updated_at,
        case when company_version.version_number > 1 then company_version.updated_at end as valid_from_at,
        company_version.valid_to_at,
        company_version._loaded_at as loaded_at

    from versions_ordered as company_version
    left join vocabulary as countries
        on
            countries.domain = 'country'
            and countries.synonym = nullif(regexp_replace(lower(trim(company_version.country)), '[ _-]+', '_', 'g'), '')

)

select * from renamed
;

-- ===== stg_landing__engagement_events
create or replace temp table stg_landing__engagement_events as
with

-- read (and parsed) once, for the three reads below
source as materialized (

    select * from raw_engagement_events

),

vocabulary as (

    select * from seed_vocabulary_synonyms

),

-- the same event can arrive in two exports: the first load of an event_id is kept. Few ids
-- arrive twice: a hash count finds them, and only their loads are ranked
repeated_ids as (

    select event_id
    from source
    group by event_id
    having count(*) > 1

),

first_loads as (

    select * from source
    anti join repeated_ids using (event_id)

    union all

    select * from source
    semi join repeated_ids using (event_id)
    qualify row_number() over (
        partition by event_id
        order by _loaded_at, _file_path, _line_number
    ) = 1

),

renamed as (

    select
        -- ids
        trim(source_event.event_id) as event_id,
        nullif(trim(source_event.contact_id), '') as contact_id,

        -- strings
        coalesce(event_types.canonical_value, nullif(regexp_replace(lower(trim(source_event.event_type)), '[ _-]+', '_', 'g'), '')) as event_type,
        nullif(nfc_normalize(lower(trim(source_event.email))), '') as email,

        -- timestamps
        source_event.occurred_at

    from first_loads as source_event
    left join vocabulary as event_types
        on
            event_types.domain = 'event_type'
            and event_types.synonym = nullif(regexp_replace(lower(trim(source_event.event_type)), '[ _-]+', '_', 'g'), '')

)

select * from renamed
;

-- ===== stg_landing__sales_activities
create or replace temp table stg_landing__sales_activities as
with

source as (

    select * from raw_sales_activities

),

vocabulary as (

    select * from seed_vocabulary_synonyms

),

-- the same activity can arrive in two exports: the latest load of an activity_id is kept
loads_ranked as (

    select
        *,
        row_number() over (
            partition by activity_id
            order by _loaded_at desc, _file_path desc, _line_number desc
        ) as load_rank

    from source

),

renamed as (

    select
        -- ids
        trim(activity.activity_id) as activity_id,
        trim(activity.contact_id) as contact_id,

        -- strings
        coalesce(activity_types.canonical_value, nullif(regexp_replace(lower(trim(activity.activity_type)), '[ _-]+', '_', 'g'), '')) as activity_type,
        coalesce(outcomes.canonical_value, nullif(regexp_replace(lower(trim(activity.outcome)), '[ _-]+', '_', 'g'), '')) as outcome,
        nullif(trim(activity.disqualification_reason), '') as disqualification_reason,

        -- booleans
        coalesce(activity.need_identified, false) as has_need_identified,
        coalesce(activity.budget_confirmed, false) as has_budget_confirmed,
        coalesce(activity.decision_capacity, false) as has_decision_capacity,

        -- timestamps
        activity.occurred_at,
        activity._loaded_at as loaded_at

    from loads_ranked as activity
    left join vocabulary as activity_types
        on
            activity_types.domain = 'activity_type'
            and activity_types.synonym = nullif(regexp_replace(lower(trim(activity.activity_type)), '[ _-]+', '_', 'g'), '')
    left join vocabulary as outcomes
        on
            outcomes.domain = 'outcome'
            and outcomes.synonym = nullif(regexp_replace(lower(trim(activity.outcome)), '[ _-]+', '_', 'g'), '')
    where activity.load_rank = 1

)

select * from renamed
;

-- ===== stg_landing__opportunities
create or replace temp table stg_landing__opportunities as
with

source as (

    select * from raw_opportunities

),

-- an opportunity is exported again as it moves: the latest load of an opportunity_id is kept
loads_ranked as (

    select
        *,
        row_number() over (
            partition by opportunity_id
            order by _loaded_at desc, _file_path desc, _line_number desc
        ) as load_rank

    from source

),

renamed as (

    select
        -- ids
        trim(opportunity_id) as opportunity_id,
        nullif(trim(contact_id), '') as contact_id,
        nullif(trim(company_id), '') as company_id,

        -- booleans
        coalesce(is_won, false) as is_won,
        closed_at is not null as is_closed,

        -- timestamps
        created_at,
        closed_at,
        _loaded_at as loaded_at

    from loads_ranked
    where load_rank = 1

)

select * from renamed
;

-- ===== int_contacts_as_of
create or replace temp table int_contacts_as_of as
-- One row per source contact record: the version of it valid on the as-of day, as it was known
-- at the end of that day. Staging keeps every version with its validity [valid_from_at,
-- valid_to_at): the version read is the latest updated on or before the as-of day, else the
-- first one (valid from the beginning of time), so an as-of run never sees a later change.
with

contact_versions as (

    select * from stg_landing__contacts

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
        version_number,

        -- booleans
        is_opted_out,
        is_valid_email,

        -- timestamps
        created_at,
        updated_at,
        valid_from_at,
        valid_to_at,
        loaded_at

    from contact_versions
    where
        (valid_from_at is null or valid_from_at < getvariable('as_of_at'))
        and (valid_to_at is null or valid_to_at >= getvariable('as_of_at'))

)

select * from final
;

-- ===== int_contact_ids_mapped
create or replace temp table int_contact_ids_mapped as
-- Which person each source contact record is: records are the same person when their normalised
-- emails are equal; a record without email is a person of its own. Each record is read in its
-- version valid on the as-of day (`int_contacts_as_of`).
-- A record is known from its `created_at`; without one, from its first fact (an event, activity
-- or opportunity naming its id, or an event sent to its email), else from its first update, else
-- from its first load. Records not known by the as-of day are left out, so an as-of run sees the
-- base as it was, and a record created later never changes an earlier day. A date before the
-- date floor (var `earliest_plausible_date`: a 1900-01-01 or 1970-01-01 export default) is no
-- date: such a `created_at` or update is skipped, and such facts are not read. The surviving
-- contact_id is the source id of the person's first-known record, so it stays the same when the
-- person is exported again under another id.
with

contacts as (

    select
        contact_id,
        email,
        case when created_at >= getvariable('earliest_plausible_at') then created_at end as created_at,
        updated_at,
        loaded_at

    from int_contacts_as_of

),

contact_versions as (

    select
        contact_id,
        min(case when updated_at >= getvariable('earliest_plausible_at') then updated_at end) as first_updated_at,
        min(loaded_at) as first_loaded_at

    from stg_landing__contacts
    group by contact_id

),

events as (

    select
        contact_id,
        email,
        occurred_at

    from stg_landing__engagement_events
    where not (occurred_at < getvariable('earliest_plausible_at') or occurred_at >= getvariable('as_of_at'))

),

activities as (

    select
        contact_id,
        occurred_at

    from stg_landing__sales_activities
    where not (occurred_at < getvariable('earliest_plausible_at') or occurred_at >= getvariable('as_of_at'))

),

opportunities as (

    select
        contact_id,
        created_at

    from stg_landing__opportunities
    where not (created_at < getvariable('earliest_plausible_at') or created_at >= getvariable('as_of_at'))

),

facts_by_id as (

    select
        contact_id,
        occurred_at

    from events
    where contact_id is not null

    union all

    select
        contact_id,
        occurred_at

    from activities

    union all

    select
        contact_id,
        created_at as occurred_at

    from opportunities
    where contact_id is not null

),

first_facts_by_id as (

    select
        contact_id,
        min(occurred_at) as first_fact_at

    from facts_by_id
    group by contact_id

),

first_events_by_email as (

    select
        email,
        min(occurred_at) as first_fact_at

    from events
    where email is not null
    group by email

),

contacts_known as (

    select
        contacts.contact_id as source_contact_id,
        contacts.email,
        coalesce(
            contacts.created_at,
            least(first_facts_by_id.first_fact_at, first_events_by_email.first_fact_at),
            contact_versions.first_updated_at,
            contact_versions.first_loaded_at
        ) as known_from_at,
        coalesce(contacts.email, 'contact_id:' || contacts.contact_id) as person_key

    from contacts
    inner join contact_versions
        on contacts.contact_id = contact_versions.contact_id
    left join first_facts_by_id
        on contacts.contact_id = first_facts_by_id.contact_id
    left join first_events_by_email
        on contacts.email = first_events_by_email.email

),

final as (

    select
        source_contact_id,
        first_value(source_contact_id) over (
            partition by person_key
            order by known_from_at asc, source_contact_id asc
            rows between unbounded preceding and unbounded following
        ) as contact_id,
        person_key,
        count(*) over (partition by person_key) as source_record_count,
        known_from_at

    from contacts_known
    where known_from_at < getvariable('as_of_at')

)

select * from final
;

-- ===== int_contact_epochs
create or replace temp table int_contact_epochs as
-- One row per person and epoch: a span of time over which the person's attributes stay the same,
-- from when one of its records became known or changed (a new version) until the next such
-- instant. At each epoch's start, every record of the person known by then is read in its
-- version valid at that instant, and the person is made of them by survivorship: the most
-- recently updated record wins, and each value it lacks is filled from the other records, most
-- recently updated first; the person is opted out when any record is. The first epoch is valid
-- from the beginning of time, so the person's first facts always find its attributes. The
-- epoch valid at the end of the as-of day is the person as int_contacts_deduplicated holds it;
-- the others let the funnel read each past day with the attributes known that day.

with

contact_versions as (

    select * from stg_landing__contacts
    where valid_from_at is null or valid_from_at < getvariable('as_of_at')

),

contact_ids as (

    select
        source_contact_id,
        contact_id,
        known_from_at

    from int_contact_ids_mapped

),

epoch_starts as (

    select
        contact_id,
        known_from_at as started_at

    from contact_ids

    union

    select
        contact_ids.contact_id,
        contact_versions.valid_from_at as started_at

    from contact_versions
    inner join contact_ids
        on contact_versions.contact_id = contact_ids.source_contact_id
    where contact_versions.valid_from_at > contact_ids.known_from_at

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
records_ranked as (

    select
        epochs.contact_id,
        epochs.epoch_number,
        epochs.started_at,
        epochs.valid_to_at,
            contact_versions.company_id,
            contact_versions.email,
            contact_versions.first_name,
            contact_versions.last_name,
            contact_versions.phone,
            contact_versions.job_title,
            contact_versions.seniority,
            contact_versions.department,
            contact_versions.linkedin_url,
            contact_versions.company_domain,
            contact_versions.country_code,
            contact_versions.lead_source,
            contact_versions.is_opted_out,
            contact_versions.is_valid_email,
            contact_versions.created_at,
            contact_versions.updated_at,
        row_number() over (
            partition by epochs.contact_id, epochs.epoch_number
            order by
                contact_versions.updated_at desc nulls last,
                contact_versions.loaded_at desc,
                contact_versions.contact_id asc
        ) as recency_rank,
        count(*) over (partition by epochs.contact_id, epochs.epoch_number) as source_record_count

    from epochs
    inner join contact_ids
        on
            epochs.contact_id = contact_ids.contact_id
            and epochs.started_at >= contact_ids.known_from_at
    inner join contact_versions
        on
            contact_ids.source_contact_id = contact_versions.contact_id
            and (contact_versions.valid_from_at is null or epochs.started_at >= contact_versions.valid_from_at)
    and (contact_versions.valid_to_at is null or epochs.started_at < contact_versions.valid_to_at)

),

values_survived as (

    select
        contact_id,
        epoch_number,
        started_at,
        valid_to_at,
        recency_rank,
        source_record_count,

            first_value(company_id ignore nulls) over by_recency as company_id,

            first_value(email ignore nulls) over by_recency as email,

            first_value(first_name ignore nulls) over by_recency as first_name,

            first_value(last_name ignore nulls) over by_recency as last_name,

            first_value(phone ignore nulls) over by_recency as phone,

            first_value(job_title ignore nulls) over by_recency as job_title,

            first_value(seniority ignore nulls) over by_recency as seniority,

            first_value(department ignore nulls) over by_recency as department,

            first_value(linkedin_url ignore nulls) over by_recency as linkedin_url,

            first_value(company_domain ignore nulls) over by_recency as company_domain,

            first_value(country_code ignore nulls) over by_recency as country_code,

            first_value(lead_source ignore nulls) over by_recency as lead_source,

        max(case when is_opted_out then 1 else 0 end) over by_epoch = 1 as is_opted_out,
        max(case when is_valid_email then 1 else 0 end) over by_epoch = 1 as has_valid_email,
        -- a record known from a fact before its creation was not created yet on the as-of day
        min(case when created_at < getvariable('as_of_at') then created_at end) over by_epoch as created_at,
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
        updated_at

    from values_survived
    where recency_rank = 1

)

select * from final
;

-- ===== stg_landing__opted_out_contacts
-- (the suppression list as a first load of the landing files makes it: the records opted out
-- themselves, and every record sharing a contact id or a normalised email with one, listed when
-- loaded)
create or replace temp table stg_landing__opted_out_contacts as
with

opted_out as (

    select
        contact_id,
        nfc_normalize(lower(email)) as email

    from raw_contacts
    where opted_out

)

select distinct on (contact_id)
    contact_id,
    _loaded_at as listed_at

from raw_contacts
where
    contact_id in (select contact_id from opted_out)
    or nfc_normalize(lower(email)) in (select email from opted_out)
order by contact_id, _loaded_at
;

-- ===== int_contacts_deduplicated
create or replace temp table int_contacts_deduplicated as
-- One row per person known on the as-of day: its epoch valid at the end of that day
-- (int_contact_epochs, where survivorship is), with when it was first known, and whether the
-- load listed one of its records as opted out by the end of that day
-- (`stg_landing__opted_out_contacts`: a record opted out itself, or whose email or contact id the
-- suppression list holds as opted out). An opted-out person never becomes contactable again,
-- whatever a later record of them says: a new record under another id, a delivery that lost the
-- flag, a warehouse rebuilt from landing files that no longer hold the opt-out (the list lives
-- in FUNNEL_HOME/privacy, docs/privacy.md).
with

epochs as (

    select * from int_contact_epochs

),

contact_ids as (

    select
        contact_id,
        min(known_from_at) as first_known_at

    from int_contact_ids_mapped
    group by contact_id

),

opted_out_listings as (

    select
        contact_ids.contact_id,
        min(listings.listed_at) as first_listed_at

    from stg_landing__opted_out_contacts as listings
    inner join int_contact_ids_mapped as contact_ids
        on listings.contact_id = contact_ids.source_contact_id
    where listings.listed_at < getvariable('as_of_at')
    group by contact_ids.contact_id

),

final as (

    select
        -- ids
        epochs.contact_id,
        epochs.company_id,

        -- strings
        epochs.email,
        epochs.first_name,
        epochs.last_name,
        epochs.phone,
        epochs.job_title,
        epochs.seniority,
        epochs.department,
        epochs.linkedin_url,
        epochs.company_domain,
        epochs.country_code,
        epochs.lead_source,

        -- numerics
        epochs.source_record_count,

        -- booleans
        epochs.is_opted_out,
        opted_out_listings.contact_id is not null as is_listed_as_opted_out,
        epochs.has_valid_email,

        -- timestamps
        epochs.created_at,
        epochs.updated_at,
        contact_ids.first_known_at

    from epochs
    inner join contact_ids
        on epochs.contact_id = contact_ids.contact_id
    left join opted_out_listings
        on epochs.contact_id = opted_out_listings.contact_id
    where epochs.valid_to_at is null

)

select * from final
;

-- ===== int_companies_as_of
create or replace temp table int_companies_as_of as
-- One row per company: the version of it valid on the as-of day, as it was known at the end of
-- that day. Staging keeps every version with its validity [valid_from_at, valid_to_at): the
-- version read is the latest updated on or before the as-of day, else the first one (valid from
-- the beginning of time), so an as-of run scores a company on its firmographics of that day.
with

company_versions as (

    select * from stg_landing__companies

),

final as (

    select
        -- ids
        company_id,

        -- strings
        domain,
        industry,
        country_code,

        -- numerics
        employee_count,
        annual_revenue_eur,
        open_jobs,
        last_funding_amount_eur,
        headcount_growth_pct,
        version_number,

        -- dates
        last_funding_date,

        -- timestamps
        updated_at,
        valid_from_at,
        valid_to_at,
        loaded_at

    from company_versions
    where
        (valid_from_at is null or valid_from_at < getvariable('as_of_at'))
        and (valid_to_at is null or valid_to_at >= getvariable('as_of_at'))

)

select * from final
;

-- ===== int_contacts_matched_to_companies
create or replace temp table int_contacts_matched_to_companies as
-- Each contact's company in each of its epochs (int_contact_epochs; the current one is the
-- contact on the as-of day): by company_id when it names a known company, else by the email's
-- domain, else by the company domain given on the contact. A domain matches a company whose
-- domain is that domain or one of its parents ('paris.sales.acme.fr' -> 'sales.acme.fr' ->
-- 'acme.fr'), the longest first; only company domains are looked up, so a public suffix ('fr',
-- 'co.uk') never matches by itself. A free-mail domain (seed `free_mail_domains`) or any of its
-- subdomains never matches. When several companies share a domain, the smallest company_id is
-- taken, so the match is stable. Companies are read as of the as-of day.

with

contacts as (

    select
        contact_id,
        epoch_number,
        valid_from_at,
        valid_to_at,
        company_id,
        email,
        company_domain

    from int_contact_epochs

),

companies as (

    select
        company_id,
        domain

    from int_companies_as_of

),

free_mail_domains as (

    select domain from seed_free_mail_domains

),

company_domains as (

    select
        domain,
        min(company_id) as company_id

    from companies
    where domain is not null
    group by domain

),

-- the two domains a contact can be matched by
contact_domains as (

    select
        contact_id,
        epoch_number,
        'email_domain' as match_method,
        nullif(string_split(email, '@')[2], '') as domain

    from contacts
    where email is not null

    union all

    select
        contact_id,
        epoch_number,
        'company_domain' as match_method,
        company_domain as domain

    from contacts
    where company_domain is not null

),

contact_domains_counted as (

    select
        *,
        length(domain) - length(replace(domain, '.', '')) as dot_count

    from contact_domains
    where domain is not null

),

-- each domain and its parents that still have a dot, `levels_up` labels removed (up to
-- 8 levels)
domain_candidates as (

    select
        contact_id,
        epoch_number,
        match_method,
        levels.levels_up,
        regexp_replace(domain, '^([^.]+[.]){' || levels.levels_up || '}', '') as candidate_domain

    from contact_domains_counted
    cross join range(0, 9) as levels (levels_up)
    where levels.levels_up = 0 or dot_count > levels.levels_up

),

-- a domain that is a free-mail domain or one of its subdomains says nothing about the company
free_mail_contact_domains as (

    select distinct
        domain_candidates.contact_id,
        domain_candidates.epoch_number,
        domain_candidates.match_method

    from domain_candidates
    inner join free_mail_domains
        on domain_candidates.candidate_domain = free_mail_domains.domain

),

domain_matches_ranked as (

    select
        domain_candidates.contact_id,
        domain_candidates.epoch_number,
        domain_candidates.match_method,
        company_domains.company_id,
        row_number() over (
            partition by domain_candidates.contact_id, domain_candidates.epoch_number, domain_candidates.match_method
            order by domain_candidates.levels_up
        ) as match_rank

    from domain_candidates
    inner join company_domains
        on domain_candidates.candidate_domain = company_domains.domain
    left join free_mail_contact_domains
        on
            domain_candidates.contact_id = free_mail_contact_domains.contact_id
            and domain_candidates.epoch_number = free_mail_contact_domains.epoch_number
            and domain_candidates.match_method = free_mail_contact_domains.match_method
    where free_mail_contact_domains.contact_id is null

),

domain_matches as (

    select
        contact_id,
        epoch_number,
        match_method,
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
        end as company_match_method

    from contacts
    left join companies as by_id
        on contacts.company_id = by_id.company_id
    left join domain_matches as by_email_domain
        on
            contacts.contact_id = by_email_domain.contact_id
            and contacts.epoch_number = by_email_domain.epoch_number
            and by_email_domain.match_method = 'email_domain'
    left join domain_matches as by_given_domain
        on
            contacts.contact_id = by_given_domain.contact_id
            and contacts.epoch_number = by_given_domain.epoch_number
            and by_given_domain.match_method = 'company_domain'

)

select * from final
;

-- ===== int_company_periods
create or replace temp table int_company_periods as
-- One row per company and period over which everything its ICP fit reads stays the same: each
-- version of the company (staging keeps them all, with their validity) split where a
-- time-dependent criterion changes its answer - the months since the last funding round cross a
-- bound of an `icp_criteria` row on `months_since_last_funding`, and the round itself starts
-- counting on its date. Months are counted as dbt's datediff counts them (month boundaries
-- crossed), so a bound of k months is crossed on the first day of the k-th month after the
-- round's month. The period valid at the end of the as-of day is the company as
-- int_companies_as_of holds it; the others let each past day be scored with its own fit.
with

company_versions as (

    select * from stg_landing__companies
    where
        (valid_from_at is null or valid_from_at < getvariable('as_of_at'))
        -- a version followed by another without a date was never valid (see staging)
        and (
            valid_to_at is null
            or valid_to_at > coalesce(valid_from_at, cast('0001-01-01' as timestamp))
        )

),

month_bounds as (

    select distinct cast(min_value as integer) as months
    from seed_icp_criteria
    where attribute = 'months_since_last_funding' and min_value > 0

    union

    select distinct cast(max_value as integer) as months
    from seed_icp_criteria
    where attribute = 'months_since_last_funding' and max_value > 0

),

funding_changes as (

    select
        company_id,
        version_number,
        cast(last_funding_date as timestamp) as changed_at

    from company_versions
    where last_funding_date is not null

    union

    select
        company_versions.company_id,
        company_versions.version_number,
        cast(

    (date_trunc('month', company_versions.last_funding_date) + cast(month_bounds.months as bigint) * interval 1 month) as timestamp) as changed_at

    from company_versions
    cross join month_bounds
    where company_versions.last_funding_date is not null

),

period_starts as (

    select
        company_id,
        version_number,
        valid_from_at as started_at

    from company_versions

    union all

    select
        funding_changes.company_id,
        funding_changes.version_number,
        funding_changes.changed_at as started_at

    from funding_changes
    inner join company_versions
        on
            funding_changes.company_id = company_versions.company_id
            and funding_changes.version_number = company_versions.version_number
    where
        funding_changes.changed_at > coalesce(
            company_versions.valid_from_at, cast('0001-01-01' as timestamp)
        )
        and (company_versions.valid_to_at is null or funding_changes.changed_at < company_versions.valid_to_at)
        and funding_changes.changed_at < getvariable('as_of_at')

),

periods as (

    select
        period_starts.company_id,
        period_starts.version_number,
        period_starts.started_at as valid_from_at,
        coalesce(
            lead(period_starts.started_at) over (
                partition by period_starts.company_id, period_starts.version_number
                order by period_starts.started_at nulls first
            ),
            -- a version replaced after the as-of day is still the company on that day
            case when company_versions.valid_to_at < getvariable('as_of_at') then company_versions.valid_to_at end
        ) as valid_to_at

    from period_starts
    inner join company_versions
        on
            period_starts.company_id = company_versions.company_id
            and period_starts.version_number = company_versions.version_number

),

-- the day the months since funding are counted on: the as-of day for the current period, else
-- the period's first day (the answer of every criterion is the same on all its days)
periods_dated as (

    select
        *,
        row_number() over (partition by company_id order by valid_from_at nulls first) as period_number,
        case
            when valid_to_at is null then getvariable('as_of')
            when valid_from_at is null then cast(

    (valid_to_at + cast(-1 as bigint) * interval 1 day) as date)
            else cast(valid_from_at as date)
        end as scored_on

    from periods

),

final as (

    select
        -- ids
        periods_dated.company_id,

        -- strings
        company_versions.industry,
        company_versions.country_code,

        -- numerics
        periods_dated.period_number,
        company_versions.version_number,
        company_versions.employee_count,
        company_versions.annual_revenue_eur,
        company_versions.open_jobs,
        company_versions.headcount_growth_pct,
        case
            when company_versions.last_funding_date <= periods_dated.scored_on
                then date_diff('month', company_versions.last_funding_date::timestamp, periods_dated.scored_on::timestamp)

        end as months_since_last_funding,

        -- booleans
        periods_dated.valid_to_at is null as is_current,

        -- dates
        company_versions.last_funding_date,
        periods_dated.scored_on,

        -- timestamps
        periods_dated.valid_from_at,
        periods_dated.valid_to_at

    from periods_dated
    inner join company_versions
        on
            periods_dated.company_id = company_versions.company_id
            and periods_dated.version_number = company_versions.version_number

)

select * from final
;

-- ===== int_fit_criteria_matched
create or replace temp table int_fit_criteria_matched as
-- The ICP criteria each company and each contact meets, one row per subject, period and
-- criterion: a company in each of its periods (int_company_periods: versions, and the months
-- since its last funding round), a contact in each of its epochs (int_contact_epochs).
-- Criteria live in the `icp_criteria` seed: a row matches a text attribute by value
-- (case-insensitive) or a numeric attribute by range (min inclusive, max exclusive, blank is
-- unbounded). When several rows of one criterion match, the one with the most points counts.
-- A contact whose seniority is missing is scored as seniority `unknown`.
with

companies as (

    select * from int_company_periods

),

-- a missing seniority is an unknown one: it earns what `unknown` earns
contacts as (

    select
        contact_id,
        epoch_number,
        valid_to_at,
        coalesce(seniority, 'unknown') as seniority,
        department

    from int_contact_epochs

),

criteria as (

    select * from seed_icp_criteria

),

-- every attribute a criterion can use, as (subject, id, attribute, text or number); a missing
-- value matches no criterion, so unpivot may drop it
company_attributes as (

    select
        company_id,
        period_number,
        is_current,
        industry,
        country_code as country,
        cast(employee_count as double) as employee_count,
        cast(annual_revenue_eur as double) as annual_revenue_eur,
        cast(open_jobs as double) as open_jobs,
        cast(headcount_growth_pct as double) as headcount_growth_pct,
        cast(months_since_last_funding as double) as months_since_last_funding

    from companies

),

attributes as (

    select
        'company' as subject, company_id as subject_id, period_number, is_current,
        attribute, text_value, cast(null as double) as number_value
    from (unpivot company_attributes on industry, country into name attribute value text_value)

    union all

    select
        'company', company_id, period_number, is_current,
        attribute, cast(null as TEXT), number_value
    from (
        unpivot company_attributes
        on employee_count, annual_revenue_eur, open_jobs, headcount_growth_pct, months_since_last_funding
        into name attribute value number_value
    )

    union all

    select
        'contact', contact_id, epoch_number, valid_to_at is null,
        attribute, text_value, cast(null as double)
    from (unpivot contacts on seniority, department into name attribute value text_value)

),

criteria_met as (

    select
        attributes.subject,
        attributes.subject_id,
        attributes.period_number,
        attributes.is_current,
        criteria.criterion,
        attributes.attribute,
        coalesce(attributes.text_value, cast(attributes.number_value as TEXT)) as attribute_value,
        criteria.points,
        criteria.description,
        row_number() over (
            partition by attributes.subject, attributes.subject_id, attributes.period_number, criteria.criterion
            order by criteria.points desc
        ) as points_rank

    from attributes
    inner join criteria
        on
            attributes.subject = criteria.subject
            and attributes.attribute = criteria.attribute
            and (
                (
                    criteria.match_value is not null
                    and lower(attributes.text_value) = lower(criteria.match_value)
                )
                or (
                    criteria.match_value is null
                    and attributes.number_value is not null
                    and (criteria.min_value is null or attributes.number_value >= criteria.min_value)
                    and (criteria.max_value is null or attributes.number_value < criteria.max_value)
                )
            )

),

final as (

    select
        subject,
        subject_id,
        period_number,
        criterion,
        attribute,
        attribute_value,
        points,
        description,
        is_current

    from criteria_met
    where points_rank = 1

)

select * from final
;

-- ===== int_icp_grade_bands_ranged
create or replace temp table int_icp_grade_bands_ranged as
-- The ICP grade bands of the `icp_grade_bands` seed as score ranges [min_score, max_score); the
-- top band has no upper bound (null max_score).
with

bands as (

    select * from seed_icp_grade_bands

),

final as (

    select
        grade,
        min_score,
        lead(min_score) over (order by min_score) as max_score,
        is_icp

    from bands

)

select * from final
;

-- ===== int_companies_fit_scored
create or replace temp table int_companies_fit_scored as
-- One row per company and period (int_company_periods): the points its firmographics earn in
-- that period, and its ICP fit on a 0-100 scale (the points over the most a company can earn,
-- so that a perfect company scores 100). The current period is the company on the as-of day.
with

companies as (

    select
        company_id,
        period_number,
        valid_from_at,
        valid_to_at,
        is_current

    from int_company_periods

),

criteria_met as (

    select
        subject_id as company_id,
        period_number,
        points

    from int_fit_criteria_matched
    where subject = 'company'

),

criteria as (

    select
        criterion,
        points

    from seed_icp_criteria
    where subject = 'company'

),

bands as (

    select * from int_icp_grade_bands_ranged

),

best_points_per_criterion as (

    select
        criterion,
        max(points) as max_points

    from criteria
    group by criterion

),

max_company_points as (

    select sum(max_points) as max_points from best_points_per_criterion

),

company_points as (

    select
        company_id,
        period_number,
        cast(sum(points) as integer) as company_fit_points

    from criteria_met
    group by company_id, period_number

),

companies_scored as (

    select
        companies.*,
        coalesce(company_points.company_fit_points, 0) as company_fit_points,
        least(cast(round(
            100.0 * greatest(coalesce(company_points.company_fit_points, 0), 0)
            / nullif(max_company_points.max_points, 0)
        ) as integer), 100) as icp_fit_score

    from companies
    cross join max_company_points
    left join company_points
        on
            companies.company_id = company_points.company_id
            and companies.period_number = company_points.period_number

),

final as (

    select
        -- ids
        companies_scored.company_id,

        -- strings
        bands.grade as icp_fit_grade,

        -- numerics
        companies_scored.period_number,
        companies_scored.company_fit_points,
        companies_scored.icp_fit_score,

        -- booleans
        companies_scored.is_current,

        -- timestamps
        companies_scored.valid_from_at,
        companies_scored.valid_to_at

    from companies_scored
    left join bands
        on
            companies_scored.icp_fit_score >= bands.min_score
            and (companies_scored.icp_fit_score < bands.max_score or bands.max_score is null)

)

select * from final
;

-- ===== int_contacts_fit_scored
create or replace temp table int_contacts_fit_scored as
-- One row per contact and fit period: a span over which its ICP fit and its segment stay the
-- same - one of its epochs (int_contact_epochs: persona, company, lead source) cut by the
-- periods of its company's fit (int_companies_fit_scored). Its fit is the points of its
-- company's firmographics plus the points of its persona (seniority, department), kept within
-- 0-100, with its grade and whether it is in the ICP (per the `icp_grade_bands` seed). The first
-- period is valid from the beginning of time; the current one (`is_current`) is the contact on
-- the as-of day, the others let the funnel evaluate each instant with the fit known then.
with

epochs as (

    select
        contact_id,
        epoch_number,
        valid_from_at,
        valid_to_at,
        lead_source

    from int_contact_epochs

),

companies_matched as (

    select
        contact_id,
        epoch_number,
        company_id

    from int_contacts_matched_to_companies

),

company_periods as (

    select
        company_id,
        company_fit_points,
        valid_from_at,
        valid_to_at

    from int_companies_fit_scored

),

persona_criteria_met as (

    select
        subject_id as contact_id,
        period_number as epoch_number,
        points

    from int_fit_criteria_matched
    where subject = 'contact'

),

bands as (

    select * from int_icp_grade_bands_ranged

),

person_points as (

    select
        contact_id,
        epoch_number,
        cast(sum(points) as integer) as person_fit_points

    from persona_criteria_met
    group by contact_id, epoch_number

),

-- each epoch, cut where its company's fit changes (an epoch without a company stays whole)
periods as (

    select
        epochs.contact_id,
        epochs.epoch_number,
        epochs.lead_source,
        companies_matched.company_id,
        coalesce(company_periods.company_fit_points, 0) as company_fit_points,
        coalesce(person_points.person_fit_points, 0) as person_fit_points,
        greatest(epochs.valid_from_at, company_periods.valid_from_at) as valid_from_at,
        least(epochs.valid_to_at, company_periods.valid_to_at) as valid_to_at

    from epochs
    left join companies_matched
        on
            epochs.contact_id = companies_matched.contact_id
            and epochs.epoch_number = companies_matched.epoch_number
    left join company_periods
        on
            companies_matched.company_id = company_periods.company_id
            and (epochs.valid_to_at is null or company_periods.valid_from_at is null or epochs.valid_to_at > company_periods.valid_from_at)
    and (epochs.valid_from_at is null or company_periods.valid_to_at is null or epochs.valid_from_at < company_periods.valid_to_at)
    left join person_points
        on
            epochs.contact_id = person_points.contact_id
            and epochs.epoch_number = person_points.epoch_number

),

periods_scored as (

    select
        *,
        cast(least(greatest(company_fit_points + person_fit_points, 0), 100) as integer) as icp_fit_score

    from periods

),

final as (

    select
        -- ids
        periods_scored.contact_id,
        periods_scored.company_id,

        -- strings
        bands.grade as icp_fit_grade,
        periods_scored.lead_source,

        -- numerics
        row_number() over (
            partition by periods_scored.contact_id order by periods_scored.valid_from_at nulls first
        ) as fit_period_number,
        periods_scored.epoch_number,
        periods_scored.company_fit_points,
        periods_scored.person_fit_points,
        periods_scored.icp_fit_score,

        -- booleans
        coalesce(bands.is_icp, false) as is_icp,
        periods_scored.valid_to_at is null as is_current,

        -- timestamps
        periods_scored.valid_from_at,
        periods_scored.valid_to_at

    from periods_scored
    left join bands
        on
            periods_scored.icp_fit_score >= bands.min_score
            and (periods_scored.icp_fit_score < bands.max_score or bands.max_score is null)

)

select * from final
;

-- ===== int_contact_emails_mapped
create or replace temp table int_contact_emails_mapped as
-- Which contact each email reaches, as known on the as-of day: every email a contact record had
-- in a version valid on or before that day (its email of the day and its previous ones) reaches
-- the record's deduplicated contact, so an event sent to an old address still finds its contact.
-- Records unknown on the as-of day (`int_contact_ids_mapped`) and emails first given after it
-- reach no one. An email held by several contacts reaches the one whose email it is on the
-- as-of day, else the one that had it last (then the smallest contact_id).
with

contact_versions as (

    select
        contact_id,
        email,
        valid_to_at

    from stg_landing__contacts
    where
        email is not null
        and (valid_from_at is null or valid_from_at < getvariable('as_of_at'))

),

contact_ids as (

    select
        source_contact_id,
        contact_id

    from int_contact_ids_mapped

),

emails_held as (

    select
        contact_versions.email,
        contact_ids.contact_id,
        coalesce(contact_versions.valid_to_at >= getvariable('as_of_at'), true) as is_current_email,
        contact_versions.valid_to_at

    from contact_versions
    inner join contact_ids
        on contact_versions.contact_id = contact_ids.source_contact_id

),

emails_ranked as (

    select
        *,
        row_number() over (
            partition by email
            order by
                case when is_current_email then 0 else 1 end,
                valid_to_at desc,
                contact_id asc
        ) as holder_rank

    from emails_held

),

final as (

    select
        email,
        contact_id,
        is_current_email

    from emails_ranked
    where holder_rank = 1

)

select * from final
;

-- ===== int_engagement_events_attributed
create or replace temp table int_engagement_events_attributed as
-- One row per accepted engagement event: an event dated from the date floor (var
-- `earliest_plausible_date`) up to the as-of day whose contact is known (by
-- source contact id, re-pointed to the surviving contact; else, when the event has no contact id
-- or one that names no contact record, by email: the contact's email of the as-of day or one it
-- had before, `int_contact_emails_mapped`), with the points its type earns (seed
-- `engagement_event_points`; an unknown type earns none). Events beyond a type's `max_per_period`
-- in one period (var `engagement_cap_period`) earn none either.
with

events as (

    select * from stg_landing__engagement_events

),

contact_ids as (

    select
        source_contact_id,
        contact_id

    from int_contact_ids_mapped

),

contact_emails as (

    select
        email,
        contact_id

    from int_contact_emails_mapped

),

event_points as (

    select * from seed_engagement_event_points

),

events_attributed as (

    select
        events.event_id,
        coalesce(by_id.contact_id, by_email.contact_id) as contact_id,
        events.event_type,
        events.occurred_at

    from events
    left join contact_ids as by_id
        on events.contact_id = by_id.source_contact_id
    left join contact_emails as by_email
        on events.email = by_email.email
    where not (events.occurred_at < getvariable('earliest_plausible_at') or events.occurred_at >= getvariable('as_of_at'))

),

events_pointed as (

    select
        events_attributed.*,
        coalesce(event_points.points, 0) as base_points,
        coalesce(event_points.is_interest_signal, false) as is_interest_signal,
        coalesce(event_points.is_high_intent, false) as is_high_intent,
        event_points.max_per_period,
        date_trunc(getvariable('engagement_cap_period'), events_attributed.occurred_at) as cap_period

    from events_attributed
    left join event_points
        on events_attributed.event_type = event_points.event_type
    where events_attributed.contact_id is not null

),

-- only a group (contact, type, period) with more events than its type's cap has events beyond
-- it: a hash count finds those groups, and only their events are ranked
groups_over_cap as (

    select
        contact_id,
        event_type,
        cap_period

    from events_pointed
    where max_per_period is not null
    group by contact_id, event_type, cap_period
    having count(*) > any_value(max_per_period)

),

final as (

    select
        contact_id,
        event_type,
        base_points as points,
        is_interest_signal,
        is_high_intent,
        occurred_at

    from events_pointed
    anti join groups_over_cap using (contact_id, event_type, cap_period)

    union all

    select
        contact_id,
        event_type,
        case
            when row_number() over (
                partition by contact_id, event_type, cap_period
                order by occurred_at, event_id
            ) > max_per_period then 0
            else base_points
        end as points,
        is_interest_signal,
        is_high_intent,
        occurred_at

    from events_pointed
    semi join groups_over_cap using (contact_id, event_type, cap_period)

)

select * from final
;

-- ===== int_engagement_instants_scored
create or replace temp table int_engagement_instants_scored as
-- One row per contact and instant at which it had accepted engagement events, with its engagement
-- score right after the whole instant. Events at one instant are applied together, so the score
-- never depends on how their ids sort.
--
-- Scores decay continuously: an event's points halve every `engagement_half_life_days` (h). The
-- score after instant k is sum(points_i * 2^((t_i - t_k) / h)) over the instants i up to k,
-- computed from running sums, with no self-join and nothing depending on the as-of day. Time is
-- cut into periods of 32 half-lives from 1900-01-01; an instant's points are weighted from the
-- start of its period (a weight from 1 to 2^32) and summed, per contact and period, as exact
-- decimals (each term to 1e-12). The score after instant k is its period's running sum, plus the
-- totals of the two periods before it scaled by 2^-32 and 2^-64, divided by instant k's weight.
-- What came before them weighs less than 2^-64 of its points and is left out.
--
-- Scores are rounded to 6 decimals before any threshold compares them, so arithmetic noise
-- (59.99999999999999 for 60) cannot flip a stage.
--
-- `decayed_below_recycle_at` is when the score, left alone after this instant, decays below
-- `recycle_score`: t + h * log2(score / threshold), when that comes before the next instant and
-- by the as-of day.

with

events as (

    select
        contact_id,
        event_type,
        points,
        is_interest_signal,
        is_high_intent,
        occurred_at

    from int_engagement_events_attributed

),

event_points as (

    select
        event_type,
        not_contactable_reason

    from seed_engagement_event_points

),

instants as (

    select
        events.contact_id,
        events.occurred_at,
        sum(events.points) as points,
        sum(case when events.points > 0 then 1 else 0 end) as interactions,
        max(case when events.is_interest_signal then 1 else 0 end) = 1 as has_interest_signal,
        max(case when events.is_high_intent then 1 else 0 end) = 1 as has_high_intent,
        max(case when event_points.not_contactable_reason = 'unsubscribed' then 1 else 0 end) = 1
            as has_unsubscribed,
        max(case when event_points.not_contactable_reason = 'hard_bounced' then 1 else 0 end) = 1
            as has_hard_bounced

    from events
    left join event_points
        on events.event_type = event_points.event_type
    group by events.contact_id, events.occurred_at

),

instants_in_periods as (

    select
        *,
        (date_diff('second', timestamp '1900-01-01 00:00:00', occurred_at::timestamp) / 86400.0) / getvariable('engagement_half_life_days') as half_lives_since_origin,
        cast(floor(half_lives_since_origin / 32) as bigint) as weight_period,
        power(2.0, half_lives_since_origin - 32 * weight_period) as weight,
        cast(points * weight as decimal(38, 12)) as weighted_points

    from instants

),

period_totals as (

    select
        contact_id,
        weight_period,
        sum(weighted_points) as weighted_points

    from instants_in_periods
    group by contact_id, weight_period

),

period_starts as (

    select
        contact_id,
        weight_period,
        lag(weight_period, 1) over by_period as period_1_back,
        lag(weighted_points, 1) over by_period as points_1_back,
        lag(weight_period, 2) over by_period as period_2_back,
        lag(weighted_points, 2) over by_period as points_2_back,
        coalesce(sum(weighted_points) over (
            partition by contact_id
            order by weight_period
            rows between unbounded preceding and 1 preceding
        ), 0) as points_before_period

    from period_totals
    window by_period as (partition by contact_id order by weight_period)

),

instants_running as (

    select
        *,
        sum(weighted_points) over by_contact_so_far as weighted_points_so_far,
        sum(interactions) over by_contact_so_far as interactions_so_far,
        lead(occurred_at) over (partition by contact_id order by occurred_at) as next_instant_at

    from instants_in_periods
    window by_contact_so_far as (
        partition by contact_id
        order by occurred_at
        rows between unbounded preceding and current row
    )

),

instants_scored as (

    select
        instants_running.*,
        round(
            (
                cast(weighted_points_so_far - points_before_period as double)
                + cast(
                    case when period_1_back = instants_running.weight_period - 1 then points_1_back else 0 end
                    as double
                ) * power(2.0, -32)
                + cast(
                    case
                        when period_1_back = instants_running.weight_period - 2 then points_1_back
                        when period_2_back = instants_running.weight_period - 2 then points_2_back
                        else 0
                    end
                    as double
                ) * power(2.0, -64)
            ) / weight,
            6
        ) as score_after_instant

    from instants_running
    inner join period_starts
        on
            instants_running.contact_id = period_starts.contact_id
            and instants_running.weight_period = period_starts.weight_period

),

crossings_dated as (

    select
        *,
        case
            when score_after_instant >= getvariable('recycle_score')
                then

    (occurred_at + cast(cast(ceil(86400 * getvariable('engagement_half_life_days') * log2(score_after_instant / getvariable('recycle_score'))) as bigint) as bigint) * interval 1 second)
        end as decays_below_recycle_at

    from instants_scored

),

final as (

    select
        -- ids
        contact_id,

        -- numerics
        points,
        interactions_so_far,
        score_after_instant,

        -- booleans
        has_interest_signal,
        has_high_intent,
        has_unsubscribed,
        has_hard_bounced,
        score_after_instant >= getvariable('qualified_lead_score') as is_qualified_lead_score,
        score_after_instant >= getvariable('mql_score')
        and interactions_so_far >= getvariable('mql_min_interactions') as is_mql_score,
        score_after_instant < getvariable('recycle_score') as is_below_recycle_score,

        -- timestamps
        occurred_at,
        next_instant_at,
        case
            when
                decays_below_recycle_at < getvariable('as_of_at')
                and (next_instant_at is null or decays_below_recycle_at < next_instant_at)
                then decays_below_recycle_at
        end as decayed_below_recycle_at

    from crossings_dated

)

select * from final
;

-- ===== int_sales_activities_attributed
create or replace temp table int_sales_activities_attributed as
-- One row per sales activity dated from the date floor (var `earliest_plausible_date`) up to the
-- as-of day, re-pointed to the surviving contact, with
-- whether it qualifies an SQL: a qualifying activity type (var `sql_activity_types`) that
-- recorded a need, a budget and the contact's part in the buying decision, and whose outcome is
-- not `disqualified` (sales saying no never makes an SQL, whatever the flags say).
with

activities as (

    select * from stg_landing__sales_activities

),

contact_ids as (

    select
        source_contact_id,
        contact_id

    from int_contact_ids_mapped

),

activities_flagged as (

    select
        activities.activity_id,
        contact_ids.contact_id,
        activities.activity_type,
        activities.outcome,
        activities.disqualification_reason,
        coalesce(activities.outcome = 'disqualified', false) as is_disqualifying,
        list_contains(getvariable('sql_activity_types'), activities.activity_type)
        and activities.has_need_identified
        and activities.has_budget_confirmed
        and activities.has_decision_capacity as meets_sql_criteria,
        activities.occurred_at

    from activities
    inner join contact_ids
        on activities.contact_id = contact_ids.source_contact_id
    where not (activities.occurred_at < getvariable('earliest_plausible_at') or activities.occurred_at >= getvariable('as_of_at'))

),

final as (

    select
        activity_id,
        contact_id,
        activity_type,
        outcome,
        disqualification_reason,
        meets_sql_criteria and not is_disqualifying as is_sql_qualifying,
        is_disqualifying,
        occurred_at

    from activities_flagged

)

select * from final
;

-- ===== int_opportunities_attributed
create or replace temp table int_opportunities_attributed as
-- One row per opportunity created from the date floor (var `earliest_plausible_date`) up to the
-- as-of day and contact it counts for, with the company it
-- counts for. Nothing is lost:
-- - an opportunity naming a known contact counts for that contact (re-pointed to the surviving
--   contact) and for the company named on it, else the contact's company;
-- - one naming no known contact but a known company counts for the company's contacts that
--   reached SQL by its creation, and when there are none, for the company alone (contact_id
--   null): the account still becomes an opportunity or a customer;
-- - one naming neither is left out here and counted by the quality scorecard.
-- A won opportunity without `closed_at` is won from the load that first said so (its latest
-- known date), flagged `is_won_date_inferred`. Closes after the as-of day are not known yet.
with

opportunities as (

    select * from stg_landing__opportunities

),

contact_ids as (

    select
        source_contact_id,
        contact_id

    from int_contact_ids_mapped

),

companies_matched as (

    select
        contact_id,
        company_id

    from int_contacts_matched_to_companies
    where is_current

),

companies as (

    select company_id from int_companies_as_of

),

sql_activities as (

    select
        contact_id,
        occurred_at

    from int_sales_activities_attributed
    where is_sql_qualifying

),

opportunities_known as (

    select
        opportunities.opportunity_id,
        contact_ids.contact_id,
        companies.company_id as known_company_id,
        opportunities.created_at,
        opportunities.closed_at,
        opportunities.is_won,
        opportunities.loaded_at

    from opportunities
    left join contact_ids
        on opportunities.contact_id = contact_ids.source_contact_id
    left join companies
        on opportunities.company_id = companies.company_id
    where not (opportunities.created_at < getvariable('earliest_plausible_at') or opportunities.created_at >= getvariable('as_of_at'))

),

by_contact as (

    select
        opportunities_known.opportunity_id,
        opportunities_known.contact_id,
        coalesce(opportunities_known.known_company_id, companies_matched.company_id) as company_id,
        'contact_id' as attribution_method,
        opportunities_known.created_at,
        opportunities_known.closed_at,
        opportunities_known.is_won,
        opportunities_known.loaded_at

    from opportunities_known
    left join companies_matched
        on opportunities_known.contact_id = companies_matched.contact_id
    where opportunities_known.contact_id is not null

),

company_sql_contacts as (

    select distinct
        opportunities_known.opportunity_id,
        companies_matched.contact_id

    from opportunities_known
    inner join companies_matched
        on opportunities_known.known_company_id = companies_matched.company_id
    inner join sql_activities
        on
            companies_matched.contact_id = sql_activities.contact_id
            and opportunities_known.created_at >= sql_activities.occurred_at
    where opportunities_known.contact_id is null

),

by_company as (

    select
        opportunities_known.opportunity_id,
        company_sql_contacts.contact_id,
        opportunities_known.known_company_id as company_id,
        case
            when company_sql_contacts.contact_id is null then 'company_only' else 'company_sql_contact'
        end as attribution_method,
        opportunities_known.created_at,
        opportunities_known.closed_at,
        opportunities_known.is_won,
        opportunities_known.loaded_at

    from opportunities_known
    left join company_sql_contacts
        on opportunities_known.opportunity_id = company_sql_contacts.opportunity_id
    where
        opportunities_known.contact_id is null
        and opportunities_known.known_company_id is not null

),

attributed as (

    select * from by_contact
    union all
    select * from by_company

),

final as (

    select
        -- ids
        opportunity_id,
        contact_id,
        company_id,

        -- strings
        attribution_method,

        -- booleans
        coalesce(is_won and closed_at < getvariable('as_of_at'), false)
        or coalesce(is_won and closed_at is null and loaded_at < getvariable('as_of_at'), false) as is_won,
        coalesce(not is_won and closed_at < getvariable('as_of_at'), false) as is_lost,
        coalesce(is_won and closed_at is null and loaded_at < getvariable('as_of_at'), false) as is_won_date_inferred,

        -- timestamps
        created_at,
        case when closed_at < getvariable('as_of_at') then greatest(closed_at, created_at) end as closed_at,
        case
            when is_won and closed_at < getvariable('as_of_at') then greatest(closed_at, created_at)
            when is_won and closed_at is null and loaded_at < getvariable('as_of_at') then greatest(loaded_at, created_at)
        end as won_at

    from attributed

)

select * from final
;

-- ===== int_contact_facts_by_instant
create or replace temp table int_contact_facts_by_instant as
-- Every dated fact about a contact, one row per contact and instant: its identification,
-- engagement (interest, the score after the instant, the score decaying below the recycle
-- threshold between two instants, unsubscribing, hard bounces), sales activities (qualifying,
-- disqualifying), opportunities (created, won, lost) and changes of its fit. Facts at one instant
-- are one row: the fold in int_contact_states_folded applies them together, so nothing depends
-- on ids. Each instant carries the ICP fit valid then.
-- A contact's life starts when it is first known (int_contact_ids_mapped: its `created_at`, else
-- its first fact, else its first update, else its first load). What happened before - events
-- tracked before the CRM record was made - is applied at that instant: the interest shown, and
-- the engagement score of the last earlier instant decayed to it; earlier sales facts count at
-- it too. So a record created after a day never changes that day.

with

contacts as (

    select
        contact_id,
        first_known_at as identified_at

    from int_contacts_deduplicated

),

engagement as (

    select * from int_engagement_instants_scored

),

activities as (

    select * from int_sales_activities_attributed

),

opportunities as (

    select * from int_opportunities_attributed
    where contact_id is not null

),

fit as (

    select
        contact_id,
        icp_fit_score,
        is_icp,
        valid_from_at,
        valid_to_at

    from int_contacts_fit_scored

),

engagement_placed as (

    select
        engagement.*,
        contacts.identified_at,
        engagement.occurred_at <= contacts.identified_at as is_before_identification

    from engagement
    inner join contacts
        on engagement.contact_id = contacts.contact_id

),

-- what the contact's engagement amounted to when it was identified (its instants up to then)
engagement_before_identification as (

    select
        contact_id,
        identified_at,
        max(occurred_at) as last_instant_at,
        max(case when has_interest_signal then 1 else 0 end) = 1 as has_interest_signal,
        max(case when has_high_intent then 1 else 0 end) = 1 as has_high_intent,
        max(case when has_unsubscribed then 1 else 0 end) = 1 as has_unsubscribed,
        max(case when has_hard_bounced then 1 else 0 end) = 1 as has_hard_bounced

    from engagement_placed
    where is_before_identification
    group by contact_id, identified_at

),

score_at_identification as (

    select
        before_identification.*,
        last_instant.interactions_so_far,
        round(
            last_instant.score_after_instant * power(
                2.0,
                -(date_diff('second', before_identification.last_instant_at::timestamp, before_identification.identified_at::timestamp) / 86400.0)
                / getvariable('engagement_half_life_days')
            ),
            6
        ) as score

    from engagement_before_identification as before_identification
    inner join engagement as last_instant
        on
            before_identification.contact_id = last_instant.contact_id
            and before_identification.last_instant_at = last_instant.occurred_at

),

identifications as (

    select
        contacts.contact_id,
        contacts.identified_at as occurred_at,
        coalesce(score_at_identification.has_interest_signal, false) as has_interest_signal,
        coalesce(score_at_identification.has_high_intent, false) as has_high_intent,
        coalesce(score_at_identification.has_unsubscribed, false) as has_unsubscribed,
        coalesce(score_at_identification.has_hard_bounced, false) as has_hard_bounced,
        coalesce(score_at_identification.score >= getvariable('qualified_lead_score'), false)
            as is_qualified_lead_score,
        coalesce(
            score_at_identification.score >= getvariable('mql_score')
            and score_at_identification.interactions_so_far >= getvariable('mql_min_interactions'),
            false
        ) as is_mql_score,
        coalesce(score_at_identification.score < getvariable('recycle_score'), false) as is_below_recycle_score,
        score_at_identification.score

    from contacts
    left join score_at_identification
        on contacts.contact_id = score_at_identification.contact_id
    where contacts.identified_at < getvariable('as_of_at')

),

facts as (

    select
        contact_id,
        occurred_at,
        true as is_identification,
        false as is_fit_change,

        has_interest_signal as has_interest_signal,
        has_high_intent as has_high_intent,
        is_qualified_lead_score as is_qualified_lead_score,
        is_mql_score as is_mql_score,
        is_below_recycle_score as is_below_recycle_score,
        has_unsubscribed as has_unsubscribed,
        has_hard_bounced as has_hard_bounced,
        false as has_sql_qualification,
        false as has_disqualification,
        cast(null as TEXT) as disqualification_reason,
        0 as opportunities_opened,
        0 as opportunities_won,
        0 as opportunities_lost,
        false as has_won_date_inferred,
        score as score_after_instant

    from identifications

    union all

    select
        contact_id,
        occurred_at,
        false as is_identification,
        false as is_fit_change,

        has_interest_signal as has_interest_signal,
        has_high_intent as has_high_intent,
        is_qualified_lead_score as is_qualified_lead_score,
        is_mql_score as is_mql_score,
        is_below_recycle_score as is_below_recycle_score,
        has_unsubscribed as has_unsubscribed,
        has_hard_bounced as has_hard_bounced,
        false as has_sql_qualification,
        false as has_disqualification,
        cast(null as TEXT) as disqualification_reason,
        0 as opportunities_opened,
        0 as opportunities_won,
        0 as opportunities_lost,
        false as has_won_date_inferred,
        score_after_instant as score_after_instant

    from engagement_placed
    where not is_before_identification

    union all

    -- the score, left alone, decayed below the recycle threshold before the next instant
    select
        contact_id,
        decayed_below_recycle_at as occurred_at,
        false as is_identification,
        false as is_fit_change,

        false as has_interest_signal,
        false as has_high_intent,
        false as is_qualified_lead_score,
        false as is_mql_score,
        true as is_below_recycle_score,
        false as has_unsubscribed,
        false as has_hard_bounced,
        false as has_sql_qualification,
        false as has_disqualification,
        cast(null as TEXT) as disqualification_reason,
        0 as opportunities_opened,
        0 as opportunities_won,
        0 as opportunities_lost,
        false as has_won_date_inferred,
        cast(null as double) as score_after_instant

    from engagement_placed
    where decayed_below_recycle_at >= identified_at

    union all

    select
        activities.contact_id,
        greatest(activities.occurred_at, contacts.identified_at) as occurred_at,
        false as is_identification,
        false as is_fit_change,

        false as has_interest_signal,
        false as has_high_intent,
        false as is_qualified_lead_score,
        false as is_mql_score,
        false as is_below_recycle_score,
        false as has_unsubscribed,
        false as has_hard_bounced,
        activities.is_sql_qualifying as has_sql_qualification,
        activities.is_disqualifying as has_disqualification,
        case when activities.is_disqualifying then activities.disqualification_reason end as disqualification_reason,
        0 as opportunities_opened,
        0 as opportunities_won,
        0 as opportunities_lost,
        false as has_won_date_inferred,
        cast(null as double) as score_after_instant

    from activities
    inner join contacts
        on activities.contact_id = contacts.contact_id
    where activities.is_sql_qualifying or activities.is_disqualifying

    union all

    select
        opportunities.contact_id,
        greatest(opportunities.created_at, contacts.identified_at) as occurred_at,
        false as is_identification,
        false as is_fit_change,

        false as has_interest_signal,
        false as has_high_intent,
        false as is_qualified_lead_score,
        false as is_mql_score,
        false as is_below_recycle_score,
        false as has_unsubscribed,
        false as has_hard_bounced,
        false as has_sql_qualification,
        false as has_disqualification,
        cast(null as TEXT) as disqualification_reason,
        1 as opportunities_opened,
        0 as opportunities_won,
        0 as opportunities_lost,
        false as has_won_date_inferred,
        cast(null as double) as score_after_instant

    from opportunities
    inner join contacts
        on opportunities.contact_id = contacts.contact_id

    union all

    select
        opportunities.contact_id,
        greatest(coalesce(opportunities.won_at, opportunities.closed_at), contacts.identified_at) as occurred_at,
        false as is_identification,
        false as is_fit_change,

        false as has_interest_signal,
        false as has_high_intent,
        false as is_qualified_lead_score,
        false as is_mql_score,
        false as is_below_recycle_score,
        false as has_unsubscribed,
        false as has_hard_bounced,
        false as has_sql_qualification,
        false as has_disqualification,
        cast(null as TEXT) as disqualification_reason,
        0 as opportunities_opened,
        case when opportunities.is_won then 1 else 0 end as opportunities_won,
        case when opportunities.is_lost then 1 else 0 end as opportunities_lost,
        opportunities.is_won_date_inferred as has_won_date_inferred,
        cast(null as double) as score_after_instant

    from opportunities
    inner join contacts
        on opportunities.contact_id = contacts.contact_id
    where opportunities.is_won or opportunities.is_lost

    union all

    -- the contact's ICP fit or segment changed (a new version, a new record, time since funding)
    select
        fit.contact_id,
        fit.valid_from_at as occurred_at,
        false as is_identification,
        true as is_fit_change,

        false as has_interest_signal,
        false as has_high_intent,
        false as is_qualified_lead_score,
        false as is_mql_score,
        false as is_below_recycle_score,
        false as has_unsubscribed,
        false as has_hard_bounced,
        false as has_sql_qualification,
        false as has_disqualification,
        cast(null as TEXT) as disqualification_reason,
        0 as opportunities_opened,
        0 as opportunities_won,
        0 as opportunities_lost,
        false as has_won_date_inferred,
        cast(null as double) as score_after_instant

    from fit
    inner join contacts
        on fit.contact_id = contacts.contact_id
    where
        fit.valid_from_at > contacts.identified_at
        and fit.valid_from_at < getvariable('as_of_at')

),

instants as (

    select
        -- ids
        contact_id,

        -- strings
        min(disqualification_reason) as disqualification_reason,

        -- numerics
        max(score_after_instant) as score_after_instant,
        cast(sum(opportunities_opened) as integer) as opportunities_opened,
        cast(sum(opportunities_won) as integer) as opportunities_won,
        cast(sum(opportunities_lost) as integer) as opportunities_lost,

            max(case when is_identification then 1 else 0 end) = 1 as is_identification,

            max(case when is_fit_change then 1 else 0 end) = 1 as is_fit_change,

            max(case when has_interest_signal then 1 else 0 end) = 1 as has_interest_signal,

            max(case when has_high_intent then 1 else 0 end) = 1 as has_high_intent,

            max(case when is_qualified_lead_score then 1 else 0 end) = 1 as is_qualified_lead_score,

            max(case when is_mql_score then 1 else 0 end) = 1 as is_mql_score,

            max(case when is_below_recycle_score then 1 else 0 end) = 1 as is_below_recycle_score,

            max(case when has_unsubscribed then 1 else 0 end) = 1 as has_unsubscribed,

            max(case when has_hard_bounced then 1 else 0 end) = 1 as has_hard_bounced,

            max(case when has_sql_qualification then 1 else 0 end) = 1 as has_sql_qualification,

            max(case when has_disqualification then 1 else 0 end) = 1 as has_disqualification,

            max(case when has_won_date_inferred then 1 else 0 end) = 1 as has_won_date_inferred,

        -- timestamps
        occurred_at

    from facts
    group by contact_id, occurred_at

),

-- each instant with the ICP fit valid then
final as (

    select
        -- ids
        instants.contact_id,

        -- strings
        instants.disqualification_reason,

        -- numerics
        instants.score_after_instant,
        instants.opportunities_opened,
        instants.opportunities_won,
        instants.opportunities_lost,
        fit.icp_fit_score,

            instants.is_identification,

            instants.is_fit_change,

            instants.has_interest_signal,

            instants.has_high_intent,

            instants.is_qualified_lead_score,

            instants.is_mql_score,

            instants.is_below_recycle_score,

            instants.has_unsubscribed,

            instants.has_hard_bounced,

            instants.has_sql_qualification,

            instants.has_disqualification,

            instants.has_won_date_inferred,

        fit.is_icp,

        -- timestamps
        instants.occurred_at

    from instants
    inner join fit
        on
            instants.contact_id = fit.contact_id
            and (fit.valid_from_at is null or instants.occurred_at >= fit.valid_from_at)
    and (fit.valid_to_at is null or instants.occurred_at < fit.valid_to_at)

)

select * from final
;

-- ===== int_contact_states_folded
create or replace temp table int_contact_states_folded as
-- Each contact's life as a state machine: one row per contact and instant (from
-- int_contact_facts_by_instant), with the state the contact is in right after the instant and
-- the highest funnel stage reached so far. The facts are folded with running windows over the
-- contact's instants, so a later increment can carry each contact's last row forward.
--
-- The rules (states in the `funnel_states` seed):
-- - Marketing, until sales takes over: an identified contact is a `prospect` when it is in the
--   ICP and `out_of_target` when not, by its fit at each instant (the fit valid then, which
--   int_contact_facts_by_instant carries), so it moves between the two as its fit does; its
--   first interest signal makes a `lead`; an MQL entry
--   point (score, interactions and fit at the MQL thresholds, after interest) makes an `mql`;
--   the score falling below `recycle_score` makes an MQL `recycled`, and the next MQL entry
--   point an `mql` again, as many times as it happens.
-- - Sales, from its first qualifying or disqualifying activity or opportunity: `sql` and
--   `opportunity` (the highest reached since the last disqualification or loss);
--   `disqualified` when sales says no, until a new SQL or opportunity; `lost` when the last
--   open opportunity opened since then is lost, until a new SQL or opportunity. A win makes a
--   `customer`, for good.
-- - Facts at one instant are applied together, in this order: identification, marketing
--   (interest, then the score after the whole instant), sales qualifications, opportunities
--   opened and won, then losses and disqualifications. So a qualifying and a disqualifying
--   activity at one instant leave the contact disqualified, having reached SQL.
with

facts as (

    select * from int_contact_facts_by_instant

),

states as (

    select
        state,
        state_order,
        kind

    from seed_funnel_states

),

facts_accumulated as (

    select
        facts.*,
        max(case when facts.has_interest_signal then 1 else 0 end) over by_contact_so_far = 1
            as has_shown_interest,
        sum(case when facts.has_disqualification then 1 else 0 end) over by_contact_so_far
            as disqualification_number,
        max(facts.opportunities_won) over by_contact_so_far > 0 as has_won,
        sum(facts.opportunities_opened - facts.opportunities_won - facts.opportunities_lost)
            over by_contact_so_far as open_opportunities

    from facts
    window by_contact_so_far as (
        partition by contact_id
        order by occurred_at
        rows between unbounded preceding and current row
    )

),

-- marketing's score crossings, and sales' positive level before this instant's negatives
crossings_and_levels as (

    select
        *,
        is_mql_score and has_shown_interest and icp_fit_score >= getvariable('mql_min_fit_score')
            as is_mql_entry_point,
        greatest(
            case when has_sql_qualification then getvariable('sql_order') else 0 end,
            case when opportunities_opened > 0 then getvariable('opportunity_order') else 0 end
        ) as sales_level,
        opportunities_lost > 0 and open_opportunities = 0 and not has_won as is_last_opportunity_lost

    from facts_accumulated

),

marketing_dated as (

    select
        *,
        max(case when is_mql_entry_point then occurred_at end) over by_contact_so_far as last_mql_entry_at,
        max(case when is_below_recycle_score then occurred_at end) over by_contact_so_far as last_below_recycle_at,
        -- an opportunity opened since the last disqualification (not at its instant: it came first)
        max(case when opportunities_opened > 0 and not has_disqualification then 1 else 0 end) over (
            partition by contact_id, disqualification_number
            order by occurred_at
            rows between unbounded preceding and current row
        ) = 1 as has_opportunity_since_disqualification

    from crossings_and_levels
    window by_contact_so_far as (
        partition by contact_id
        order by occurred_at
        rows between unbounded preceding and current row
    )

),

losses_counted as (

    select
        *,
        is_last_opportunity_lost
        and has_opportunity_since_disqualification
        and not has_disqualification as is_loss

    from marketing_dated

),

losses_numbered as (

    select
        *,
        sum(case when is_loss then 1 else 0 end) over (
            partition by contact_id, disqualification_number
            order by occurred_at
            rows between unbounded preceding and current row
        ) as loss_number

    from losses_counted

),

sales_leveled as (

    select
        *,
        -- the highest sales stage since the last disqualification or loss (the positives of a
        -- negative instant came before it)
        max(case when has_disqualification or is_loss then 0 else sales_level end) over (
            partition by contact_id, disqualification_number, loss_number
            order by occurred_at
            rows between unbounded preceding and current row
        ) as sales_level_since_setback

    from losses_numbered

),

states_decided as (

    select
        *,
        case
            when not has_shown_interest then case when is_icp then 'prospect' else 'out_of_target' end
            when last_mql_entry_at is null then 'lead'
            when last_below_recycle_at is null or last_mql_entry_at > last_below_recycle_at then 'mql'
            else 'recycled'
        end as marketing_state,
        case
            when has_won then 'customer'
            when sales_level_since_setback = getvariable('opportunity_order') then 'opportunity'
            when sales_level_since_setback = getvariable('sql_order') then 'sql'
            when loss_number > 0 then 'lost'
            when disqualification_number > 0 then 'disqualified'
        end as sales_state

    from sales_leveled

),

states_current as (

    select
        *,
        coalesce(sales_state, marketing_state) as state,
        lag(sales_state) over (partition by contact_id order by occurred_at) is null as was_marketing_led

    from states_decided

),

levels_reached as (

    select
        states_current.*,
        greatest(
            case when current_states.kind = 'stage' then current_states.state_order else 0 end,
            case
                when states_current.was_marketing_led and marketing_states.kind = 'stage'
                    then marketing_states.state_order
                else 0
            end,
            case
                when states_current.has_disqualification or states_current.is_loss
                    then states_current.sales_level
                else 0
            end
        ) as level_reached

    from states_current
    inner join states as current_states
        on states_current.state = current_states.state
    inner join states as marketing_states
        on states_current.marketing_state = marketing_states.state

),

highest_levels as (

    select
        *,
        max(level_reached) over (
            partition by contact_id
            order by occurred_at
            rows between unbounded preceding and current row
        ) as highest_level

    from levels_reached

),

final as (

    select
        -- ids
        contact_id,

        -- strings
        state,
        lag(state) over by_contact_in_time as previous_state,
        disqualification_reason,

        -- numerics
        highest_level,
        lag(highest_level) over by_contact_in_time as previous_highest_level,

        -- booleans
        is_icp,
        is_identification,
        has_interest_signal,
        has_high_intent,
        is_qualified_lead_score,
        is_mql_entry_point,
        has_sql_qualification,
        opportunities_opened > 0 as has_opportunity_opened,
        opportunities_won > 0 as has_opportunity_won,
        has_won_date_inferred,
        has_disqualification,
        has_unsubscribed,
        has_hard_bounced,

        -- timestamps
        occurred_at

    from highest_levels
    window by_contact_in_time as (partition by contact_id order by occurred_at)

)

select * from final
;

-- ===== int_contact_stage_timeline
create or replace temp table int_contact_stage_timeline as
-- Every entry of a contact into a funnel state, in order: one row per contact and transition.
-- At each instant where the fold (int_contact_states_folded) moves a contact, the entries are,
-- in this order:
-- - at identification, `prospect` (in the ICP) or `out_of_target` (not);
-- - each funnel stage from lead upward reached for the first time, in funnel order: observed
--   when the instant carries its fact, else inferred (a skipped stage takes the date of the
--   later stage, so counts from lead upward stay monotone);
-- - the state the contact ends the instant in, when it is not the last of those: a side state
--   (`funnel_states` seed) or a re-entry (an MQL again, an SQL after a disqualification).
-- Each entry records the state it left and when the contact left it (the next entry).
with

folded as (

    select * from int_contact_states_folded

),

states as (

    select
        state,
        state_order,
        kind

    from seed_funnel_states

),

moves as (

    select
        folded.*,
        highest_states.state as highest_state,
        case when folded.is_icp then 'prospect' else 'out_of_target' end as identified_state

    from folded
    inner join states as highest_states
        on folded.highest_level = highest_states.state_order
    where
        folded.is_identification
        or folded.state != folded.previous_state
        or folded.highest_level > folded.previous_highest_level

),

identification_entries as (

    select
        contact_id,
        occurred_at as entered_at,
        0 as position_in_instant,
        identified_state as stage,
        false as is_inferred

    from moves
    where is_identification

),

first_stage_entries as (

    select
        moves.contact_id,
        moves.occurred_at as entered_at,
        states.state_order as position_in_instant,
        states.state as stage,
        -- observed when the instant carries the stage's own fact
        case
            when states.state = 'lead' then not moves.has_interest_signal
            when states.state = 'mql' then not moves.is_mql_entry_point
            when states.state = 'sql' then not moves.has_sql_qualification
            when states.state = 'opportunity' then not moves.has_opportunity_opened
            else not moves.has_opportunity_won or moves.has_won_date_inferred
        end as is_inferred

    from moves
    inner join states
        on
            moves.highest_level >= states.state_order
            and coalesce(moves.previous_highest_level, -1) < states.state_order
            and states.kind = 'stage'
            and states.state_order >= 2

),

final_state_entries as (

    select
        contact_id,
        occurred_at as entered_at,
        100 as position_in_instant,
        state as stage,
        false as is_inferred

    from moves
    where
        state != coalesce(
            case
                when highest_level >= 2 and highest_level > coalesce(previous_highest_level, -1)
                    then highest_state
            end,
            case when is_identification then identified_state end,
            previous_state
        )

),

entries as (

    select * from identification_entries
    union all
    select * from first_stage_entries
    union all
    select * from final_state_entries

),

entries_in_order as (

    select
        *,
        row_number() over (
            partition by contact_id order by entered_at, position_in_instant
        ) as transition_number

    from entries

),

final as (

    select
        -- ids
        contact_id,

        -- strings
        stage,
        lag(stage) over by_contact_in_order as from_stage,

        -- numerics
        transition_number,
        row_number() over (
            partition by contact_id, stage order by transition_number
        ) as stage_entry_number,

        -- booleans
        is_inferred,

        -- timestamps
        entered_at,
        lead(entered_at) over by_contact_in_order as exited_at

    from entries_in_order
    window by_contact_in_order as (partition by contact_id order by transition_number)

)

select * from final
;

-- ===== int_contacts_staged
create or replace temp table int_contacts_staged as
-- One row per contact identified by the as-of day: its current state (the last entry of its
-- timeline), the highest funnel stage it reached, the first entry into each state (the date of a
-- disqualification is its latest, with its reason), whether each stage's first entry was
-- inferred, its lead quality, and when it became not contactable by an event.
with

timeline as (

    select * from int_contact_stage_timeline

),

folded as (

    select * from int_contact_states_folded

),

states as (

    select
        state,
        state_order,
        kind

    from seed_funnel_states

),

entries_pivoted as (

    select
        timeline.contact_id,
        max(timeline.transition_number) as last_transition_number,
        max(case when states.kind = 'stage' then states.state_order end) as highest_stage_order,

            min(case when timeline.stage = 'prospect' then timeline.entered_at end) as prospect_at,

            min(case when timeline.stage = 'lead' then timeline.entered_at end) as lead_at,

            min(case when timeline.stage = 'mql' then timeline.entered_at end) as mql_at,

            min(case when timeline.stage = 'sql' then timeline.entered_at end) as sql_at,

            min(case when timeline.stage = 'opportunity' then timeline.entered_at end) as opportunity_at,

            min(case when timeline.stage = 'customer' then timeline.entered_at end) as customer_at,

            min(case when timeline.stage = 'recycled' then timeline.entered_at end) as recycled_at,

            min(case when timeline.stage = 'lost' then timeline.entered_at end) as lost_at,

            max(
                case
                    when timeline.stage = 'prospect' and timeline.stage_entry_number = 1 and timeline.is_inferred
                        then 1
                    else 0
                end
            ) = 1 as is_prospect_inferred,

            max(
                case
                    when timeline.stage = 'lead' and timeline.stage_entry_number = 1 and timeline.is_inferred
                        then 1
                    else 0
                end
            ) = 1 as is_lead_inferred,

            max(
                case
                    when timeline.stage = 'mql' and timeline.stage_entry_number = 1 and timeline.is_inferred
                        then 1
                    else 0
                end
            ) = 1 as is_mql_inferred,

            max(
                case
                    when timeline.stage = 'sql' and timeline.stage_entry_number = 1 and timeline.is_inferred
                        then 1
                    else 0
                end
            ) = 1 as is_sql_inferred,

            max(
                case
                    when timeline.stage = 'opportunity' and timeline.stage_entry_number = 1 and timeline.is_inferred
                        then 1
                    else 0
                end
            ) = 1 as is_opportunity_inferred,

            max(
                case
                    when timeline.stage = 'customer' and timeline.stage_entry_number = 1 and timeline.is_inferred
                        then 1
                    else 0
                end
            ) = 1 as is_customer_inferred,

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
        min(case when has_hard_bounced then occurred_at end) as hard_bounced_at

    from folded
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

            entries_pivoted.is_prospect_inferred,

            entries_pivoted.is_lead_inferred,

            entries_pivoted.is_mql_inferred,

            entries_pivoted.is_sql_inferred,

            entries_pivoted.is_opportunity_inferred,

            entries_pivoted.is_customer_inferred,

        -- timestamps
        facts_summarised.identified_at,

            entries_pivoted.prospect_at,

            entries_pivoted.lead_at,

            entries_pivoted.mql_at,

            entries_pivoted.sql_at,

            entries_pivoted.opportunity_at,

            entries_pivoted.customer_at,

            entries_pivoted.recycled_at,

            entries_pivoted.lost_at,

        entries_pivoted.disqualified_at,
        facts_summarised.unsubscribed_at,
        facts_summarised.hard_bounced_at

    from entries_pivoted
    inner join current_states
        on entries_pivoted.contact_id = current_states.contact_id
    inner join states as highest_states
        on entries_pivoted.highest_stage_order = highest_states.state_order
    inner join facts_summarised
        on entries_pivoted.contact_id = facts_summarised.contact_id
    left join disqualification_reasons
        on entries_pivoted.contact_id = disqualification_reasons.contact_id

)

select * from final
;

-- ===== int_contacts_retention_dated
create or replace temp table int_contacts_retention_dated as
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

    from int_contacts_staged

),

interactions as (

    select
        contact_id,
        occurred_at

    from int_engagement_instants_scored
    where has_interest_signal and occurred_at < getvariable('as_of_at')

    union all

    select
        contact_id,
        occurred_at

    from int_sales_activities_attributed
    where list_contains(getvariable('retention_activity_types'), activity_type)

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
                then retention_from_at + to_months(getvariable('retention_months'))
        end as retention_ends_at

    from retention_started

),

final as (

    select
        -- ids
        contact_id,

        -- booleans
        coalesce(retention_ends_at < getvariable('as_of_at'), false) as is_past_retention,

        -- timestamps
        last_interaction_at,
        retention_from_at,
        retention_ends_at

    from retention_ended

)

select * from final
;

-- ===== dim_contacts
create or replace table dim_contacts as
with

contacts as (

    select * from int_contacts_deduplicated

),

companies_matched as (

    select * from int_contacts_matched_to_companies
    where is_current

),

fit as (

    select * from int_contacts_fit_scored
    where is_current

),

staged as (

    select * from int_contacts_staged

),

retention as (

    select * from int_contacts_retention_dated

),

events as (

    -- each event's points at the end of the as-of day, halving every half-life
    select
        contact_id,
        event_type,
        points * power(
            2.0,
            -(date_diff('second', occurred_at, getvariable('as_of_at')) / 86400.0)
            / getvariable('engagement_half_life_days')
        ) as decayed_points,
        occurred_at

    from int_engagement_events_attributed

),

-- the engagement components: per contact and event type, the decayed points summed as exact
-- decimals (each term to 1e-12), published as a double
engagement_by_type as (

    select
        contact_id,
        cast(sum(cast(decayed_points as decimal(38, 12))) as double) as points,
        count(*) as event_count,
        max(occurred_at) as last_occurred_at

    from events
    group by contact_id, event_type

),

engagement as (

    select
        contact_id,
        -- the components' sum, as exact decimals (order-free), rounded as the instants' scores are
        cast(round(sum(cast(points as decimal(38, 12))), 6) as double) as engagement_score,
        sum(event_count) as engagement_event_count,
        max(last_occurred_at) as last_engaged_at

    from engagement_by_type
    group by contact_id

),

-- why a contact may not be contacted, the strongest reason first: what the person asked, then
-- what the law says, then what the address says
contactability as (

    select
        staged.contact_id,
        case
            when contacts.is_opted_out then 'opted_out'
            when contacts.is_listed_as_opted_out then 'suppressed'
            when retention.is_past_retention then 'past_retention'
            when staged.unsubscribed_at is not null then 'unsubscribed'
            when staged.hard_bounced_at is not null then 'hard_bounced'
            when contacts.email is null then 'no_email'
            when not contacts.has_valid_email then 'invalid_email'
        end as not_contactable_reason

    from staged
    inner join contacts
        on staged.contact_id = contacts.contact_id
    inner join retention
        on staged.contact_id = retention.contact_id

),

final as (

    select
        -- ids
        contacts.contact_id,
        companies_matched.company_id,

        -- personal identifiers (working warehouse only, never published)
        contacts.email,
        contacts.first_name,
        contacts.last_name,
        contacts.phone,
        contacts.linkedin_url,

        -- strings
        contacts.job_title,
        contacts.seniority,
        contacts.department,
        contacts.country_code as country,
        contacts.lead_source,
        companies_matched.company_match_method,
        fit.icp_fit_grade,
        staged.lead_quality,
        staged.funnel_stage,
        staged.highest_stage,
        staged.disqualification_reason,
        contactability.not_contactable_reason,

        -- numerics
        fit.icp_fit_score,
        fit.company_fit_points,
        fit.person_fit_points,
        coalesce(engagement.engagement_score, 0.0) as engagement_score,
        coalesce(engagement.engagement_event_count, 0) as engagement_event_count,
        contacts.source_record_count,

        -- booleans
        fit.is_icp,
        contacts.has_valid_email,
        contacts.is_opted_out,
        contactability.not_contactable_reason is null as is_contactable,

        -- dates
        getvariable('as_of') as as_of_date,

        -- timestamps
        staged.prospect_at,
        staged.lead_at,
        staged.mql_at,
        staged.sql_at,
        staged.opportunity_at,
        staged.customer_at,
        staged.recycled_at,
        staged.disqualified_at,
        staged.lost_at,
        staged.unsubscribed_at,
        staged.hard_bounced_at,
        staged.identified_at,
        engagement.last_engaged_at,
        retention.last_interaction_at,
        retention.retention_ends_at,
        contacts.created_at,
        contacts.updated_at

    from staged
    inner join contacts
        on staged.contact_id = contacts.contact_id
    inner join fit
        on staged.contact_id = fit.contact_id
    inner join contactability
        on staged.contact_id = contactability.contact_id
    inner join retention
        on staged.contact_id = retention.contact_id
    left join companies_matched
        on staged.contact_id = companies_matched.contact_id
    left join engagement
        on staged.contact_id = engagement.contact_id

)

select * from final
;

-- ===== fct_funnel_transitions
create or replace table fct_funnel_transitions as
with

timeline as (

    select * from int_contact_stage_timeline

),

final as (

    select
        -- ids
        contact_id,

        -- strings
        stage,
        from_stage,

        -- numerics
        transition_number,
        stage_entry_number,

        -- booleans
        is_inferred,

        -- timestamps
        entered_at,
        exited_at

    from timeline

)

select * from final
;
