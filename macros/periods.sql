{#
    Validity periods [from, to) where a null `from` is the beginning of time and a null `to`
    is open-ended. Write the earlier-joined relation's period first.
#}

{# True when the two periods share an instant. #}
{% macro periods_overlap(a_from, a_to, b_from, b_to) -%}
    ({{ a_to }} is null or {{ b_from }} is null or {{ a_to }} > {{ b_from }})
    and ({{ a_from }} is null or {{ b_to }} is null or {{ a_from }} < {{ b_to }})
{%- endmacro %}

{# True when the instant lies in the period. #}
{% macro in_period(instant, period_from, period_to) -%}
    ({{ period_from }} is null or {{ instant }} >= {{ period_from }})
    and ({{ period_to }} is null or {{ instant }} < {{ period_to }})
{%- endmacro %}

{# True when an instant happened and came after another, or happened and the other never did
   (both null-able timestamps: "an opportunity opened since the last disqualification"). #}
{% macro happened_since(event_at, since_at) -%}
    coalesce({{ event_at }} > {{ since_at }}, {{ event_at }} is not null)
{%- endmacro %}

{# The instants at which the ICP fit of a company version may change with the time since its
   last funding round: the round's date, and the first day of each month at which the months
   since it (counted as dbt's datediff counts them: month boundaries crossed) reach a bound of
   an `icp_criteria` row on `months_since_last_funding`. A select of company_id,
   version_number and changed_at, from `company_versions` (a relation or CTE with
   company_id, version_number and last_funding_date). #}
{% macro funding_changes(company_versions) -%}
    select
        company_id,
        version_number,
        cast(last_funding_date as {{ dbt.type_timestamp() }}) as changed_at

    from {{ company_versions }}
    where last_funding_date is not null

    union

    select
        versions.company_id,
        versions.version_number,
        cast({{ dbt.dateadd(
            'month', 'month_bounds.months', dbt.date_trunc('month', 'versions.last_funding_date')
        ) }} as {{ dbt.type_timestamp() }}) as changed_at

    from {{ company_versions }} as versions
    cross join (
        select cast(min_value as integer) as months
        from {{ ref('icp_criteria') }}
        where attribute = 'months_since_last_funding' and min_value > 0

        union

        select cast(max_value as integer) as months
        from {{ ref('icp_criteria') }}
        where attribute = 'months_since_last_funding' and max_value > 0
    ) as month_bounds
    where versions.last_funding_date is not null
{%- endmacro %}
