{#
    A select list that gives every column of `columns` (a dict of column name -> default
    expression) the expression in `values` when it has one, else its default: for the branches of
    a `union all` that each know only some of the columns.
#}
{% macro columns_with_defaults(columns, values) -%}
    {%- for column, default in columns.items() %}
        {{ values.get(column, default) }} as {{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
