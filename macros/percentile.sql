{#
    The p-th percentile (0 < p < 1) of a numeric expression within a group, nulls ignored.
    DuckDB interpolates (`quantile_cont`); Spark approximates (`percentile_approx`, exact up to
    its default accuracy on the group sizes a report has, and it does not interpolate).
#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'b2b_funnel')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_approx({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}
