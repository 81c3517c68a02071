{#
    Use the custom schema name as it is (`staging`, `marts`, ...) rather than dbt's default
    `<target_schema>_<custom>`: BI depends on the schema being exactly `marts`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
