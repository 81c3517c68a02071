{#
    The raw tables on Spark: on that target each run starts by declaring the raw lake's folders
    (FUNNEL_HOME/lake, written by `funnel run --engine spark` from the load, see docs/spark.md)
    as external Parquet tables of schema `raw`, named as the models' sources name them. A table
    is declared again on every run (dropping an external table leaves its files), so that the
    files written since are seen; its columns are those of all its files (`mergeSchema`): a
    column a later delivery brought (the load keeps extra columns) is null in earlier files, as
    it is in the warehouse's raw table. On DuckDB the raw tables are the
    load's own: nothing to do.
#}
{% macro register_raw_lake() -%}
    {{ return(adapter.dispatch('register_raw_lake', 'b2b_funnel')()) }}
{%- endmacro %}

{% macro default__register_raw_lake() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_lake() -%}
    {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
    {%- set lake = env_var('FUNNEL_LAKE', env_var('FUNNEL_HOME', 'data') ~ '/lake') -%}
    {%- set tables = [] -%}
    {%- for source in graph.sources.values() if source.source_name == 'landing' -%}
        {%- do tables.append(source.identifier) -%}
    {%- endfor -%}
    {%- do run_query('create schema if not exists raw') -%}
    {%- for table in tables | sort -%}
        {%- do run_query('drop table if exists raw.`' ~ table ~ '`') -%}
        {%- do run_query(
            'create table raw.`' ~ table ~ '` using parquet options (mergeSchema \'true\')'
            ~ ' location \'' ~ lake ~ '/' ~ table.lstrip('_') ~ '\''
        ) -%}
    {%- endfor -%}
    select 1
{%- endmacro %}
