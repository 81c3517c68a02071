{#
    The combination of the given columns is unique: an alternate key (a primary key is
    `primary_key`, which also rejects nulls). As dbt_utils has it, which is not installed.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

duplicated as (

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as row_count

    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

)

select * from duplicated

{% endtest %}
