{#
    Seeds on Spark: dbt-spark inserts a seed's rows with `%s` bindings, which its `session`
    method substitutes without escaping (a value holding a quote, `côte_d'ivoire`, breaks the
    statement) and with Python's text for an empty cell (the string 'None' instead of null).
    The rows are written here as literals instead, escaped for Spark's parser, empty cells as
    nulls: the same statement whatever the connection method (session, thrift, ODBC).
#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    cast({{ b2b_funnel.spark_seed_literal(value) }} as {{ types[loop.index0] }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}){%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) if loop.first -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{# A seed cell as a Spark SQL literal: null when empty, otherwise a string literal (the insert
   casts it to the column's type) with its backslashes and quotes escaped. #}
{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ (value | string) | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
