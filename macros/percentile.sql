{#
    The p-th percentile (0 < p < 1) of a numeric expression within a group, nulls ignored,
    interpolated between the two nearest values: ANSI `percentile_cont ... within group`, DuckDB
    `quantile_cont`, Spark `percentile` (exact, where `percentile_approx` does not interpolate).
#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'b2b_funnel')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro spark__percentile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}
