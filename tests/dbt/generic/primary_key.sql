{#
    The column (or the combination of `column_names`) is a primary key: never null, never
    duplicated. One aggregate does what `unique` and `not_null` would do in two scans (and two
    dbt nodes); a failing row is a key held by several rows or a null key, with its row count.
#}
{% test primary_key(model, column_name=none, column_names=none) %}

{%- set key_columns = column_names or [column_name] %}

with

keys_counted as (

    select
        {{ key_columns | join(', ') }},
        count(*) as row_count

    from {{ model }}
    group by {{ key_columns | join(', ') }}

)

select * from keys_counted
where
    row_count > 1
    {%- for column in key_columns %}
    or {{ column }} is null
    {%- endfor %}

{% endtest %}
