{{
    config(
        materialized=by_contact_materialization(),
        incremental_strategy='replace_persons',
        meta={
            'materialized_because': (
                'a row per contact, epoch and persona criterion (2.7 M at 1 M contacts), of which a day'
                ' changes a few: incremental by person (int_contact_grain_changes); the companies\''
                ' rows (a third of the table) are computed whole each run'
            ),
            'person_column': 'subject_id',
            'rows_of_no_person': "subject = 'company'",
        },
    )
}}
-- depends_on: {{ ref('int_contact_grain_changes') }}

-- The ICP criteria each company and each contact meets, one row per subject, period and
-- criterion: a company in each of its periods (int_company_periods: versions, and the months
-- since its last funding round), a contact in each of its epochs (int_contact_epochs).
-- Criteria live in the `icp_criteria` seed: a row matches a text attribute by value
-- (case-insensitive) or a numeric attribute by range (min inclusive, max exclusive, blank is
-- unbounded). When several rows of one criterion match, the one with the most points counts.
-- A contact whose seniority is missing is scored as seniority `unknown`.
--
-- Scale: a contact's criteria depend on its persona alone (its seniority and department: a few
-- hundred distinct pairs at any scale), so each persona is matched once and every epoch takes
-- its persona's rows by a join; ranking two rows for each of a million epochs cost most of the
-- model's time. Incremental by person on DuckDB (macros/incremental.sql): a run computes the
-- contacts int_contact_grain_changes found changed, and every company.
with

companies as (

    select * from {{ ref('int_company_periods') }}

),

-- a missing seniority is an unknown one: it earns what `unknown` earns
contacts as (

    select
        contact_id,
        epoch_number,
        valid_to_at,
        coalesce(seniority, 'unknown') as seniority,
        department

    from {{ ref('int_contact_epochs') }}
    where {{ b2b_funnel.is_person_to_rebuild('contact_id') }}

),

personas as (

    select distinct
        seniority,
        department

    from contacts

),

criteria as (

    select * from {{ ref('icp_criteria') }}

),

-- every attribute a criterion can use, as (subject, id, attribute, text or number); a
-- persona's, as (subject, persona, attribute, text)
attributes as (

    {% set company_attributes = {
        'industry': ('industry', none),
        'country': ('country_code', none),
        'employee_count': (none, 'employee_count'),
        'annual_revenue_eur': (none, 'annual_revenue_eur'),
        'open_jobs': (none, 'open_jobs'),
        'headcount_growth_pct': (none, 'headcount_growth_pct'),
        'months_since_last_funding': (none, 'months_since_last_funding'),
    } %}
    {% for attribute, (text_value, number_value) in company_attributes.items() %}
        select
            'company' as subject,
            company_id as subject_id,
            period_number,
            is_current,
            cast(null as {{ dbt.type_string() }}) as persona_seniority,
            cast(null as {{ dbt.type_string() }}) as persona_department,
            '{{ attribute }}' as attribute,
            cast({{ text_value or 'null' }} as {{ dbt.type_string() }}) as text_value,
            cast({{ number_value or 'null' }} as double) as number_value
        from companies
        union all
    {% endfor %}
    {% for attribute in ['seniority', 'department'] %}
        select
            'contact' as subject,
            cast(null as {{ dbt.type_string() }}) as subject_id,
            cast(null as integer) as period_number,
            cast(null as boolean) as is_current,
            seniority as persona_seniority,
            department as persona_department,
            '{{ attribute }}' as attribute,
            cast({{ attribute }} as {{ dbt.type_string() }}) as text_value,
            cast(null as double) as number_value
        from personas
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

criteria_met as (

    select
        attributes.subject,
        attributes.subject_id,
        attributes.period_number,
        attributes.is_current,
        attributes.persona_seniority,
        attributes.persona_department,
        criteria.criterion,
        attributes.attribute,
        coalesce(attributes.text_value, {{ number_as_text('attributes.number_value') }}) as attribute_value,
        criteria.points,
        criteria.description,
        row_number() over (
            partition by
                attributes.subject,
                attributes.subject_id,
                attributes.period_number,
                attributes.persona_seniority,
                attributes.persona_department,
                criteria.criterion
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

criteria_best as (

    select * from criteria_met
    where points_rank = 1

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
        is_current,
        {{ build_started_at() }} as built_at

    from criteria_best
    where subject = 'company'

    union all

    select
        criteria_best.subject,
        contacts.contact_id as subject_id,
        contacts.epoch_number as period_number,
        criteria_best.criterion,
        criteria_best.attribute,
        criteria_best.attribute_value,
        criteria_best.points,
        criteria_best.description,
        contacts.valid_to_at is null as is_current,
        {{ build_started_at() }} as built_at

    from contacts
    inner join criteria_best
        on
            criteria_best.subject = 'contact'
            and contacts.seniority = criteria_best.persona_seniority
            -- the department may be missing: a persona without one is matched by that
            and coalesce(contacts.department, '') = coalesce(criteria_best.persona_department, '')
            and (contacts.department is null) = (criteria_best.persona_department is null)

)

select * from final
