{#
    The column (or the combination of `column_names`) is a primary key: never null, never
    duplicated. One aggregate does what `unique` and `not_null` would do in two scans (and two
    dbt nodes); a failing row is a key held by several rows or a null key, with its row count.
#}
{% test primary_key(model, column_name=none, column_names=none) %}

{%- set key = (column_names or [column_name]) | join(', ') %}

with

keys_counted as (

    select
        {{ key }},
        count(*) as row_count

    from {{ model }}
    group by {{ key }}

)

select * from keys_counted
where
    row_count > 1
    {%- for column in column_names or [column_name] %}
    or {{ column }} is null
    {%- endfor %}

{% endtest %}
