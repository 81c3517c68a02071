{#
    The rows of one entity's part of the base quality scorecard: one per check and record source,
    with the records the check applies to and those that fail it. `flagged` is a relation (a CTE)
    with a `record_source` column and one boolean column per check: true when the record fails
    it, false when it passes, null when the check does not apply to it. `checks` lists the checks
    as (dimension, check_name, field_name).
#}
{% macro quality_checks_measured(entity, checks, flagged) -%}
    {%- for dimension, check, field_name in checks %}
        select
            '{{ entity }}' as entity,
            '{{ dimension }}' as dimension,
            '{{ check }}' as check_name,
            '{{ field_name }}' as field_name,
            record_source,
            count({{ check }}) as record_count,
            sum(case when {{ check }} then 1 else 0 end) as failed_count

        from {{ flagged }}
        group by record_source
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{# The instant before which a record not updated since is stale: `stale_after_months` (var) before
   the as-of day. #}
{% macro stale_before_at() -%}
    cast(
        {{ dbt.dateadd('month', -1 * var('stale_after_months'), b2b_funnel.as_of_date()) }}
        as {{ dbt.type_timestamp() }}
    )
{%- endmacro %}

{# The date floor as a timestamp: nothing the base records happened before it (var
   `earliest_plausible_date`). #}
{% macro earliest_plausible_at() -%}
    cast('{{ var("earliest_plausible_date") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{# True when the value lies outside the plausible range of its measure, the dbt var
   `plausible_<measure>` ({min, max}); null when the value is. #}
{% macro outside_plausible_range(expression, measure) -%}
    {%- set bounds = var('plausible_' ~ measure) -%}
    ({{ expression }} < {{ bounds['min'] }} or {{ expression }} > {{ bounds['max'] }})
{%- endmacro %}

{# True when the instant is before the date floor or, unless `up_to_as_of` is false, at or after the
   end of the as-of day; null when the value is. #}
{% macro outside_plausible_dates(expression, up_to_as_of=true) -%}
    ({{ expression }} < {{ b2b_funnel.earliest_plausible_at() }}
    {%- if up_to_as_of %} or {{ expression }} >= {{ b2b_funnel.as_of_at() }}{% endif %})
{%- endmacro %}

{# The canonical values of each vocabulary of the `vocabulary_synonyms` seed, as a query with the
   columns `vocabulary` and `canonical_value`: what a staged value is valid against. #}
{% macro canonical_values() -%}
    select distinct
        domain as vocabulary,
        canonical_value

    from {{ ref('vocabulary_synonyms') }}
{%- endmacro %}
