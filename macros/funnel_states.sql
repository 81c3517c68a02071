{% macro funnel_state_rows() %}
    {#- The `funnel_states` seed's rows (state, state_order, kind), in order, read from the seed's
        table when a model is compiled for a run; none at parse time. -#}
    {%- set relation = ref('funnel_states') -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {#- The seed's own table, whole: not the empty relation of `build --empty`, nor a unit test's
        rows (which only exist inside the tested query). -#}
    {%- if relation.identifier.startswith('__dbt__cte__') -%}
        {%- set relation = adapter.get_relation(
            database=target.database,
            schema=generate_schema_name('seeds', none),
            identifier='funnel_states') -%}
    {%- else -%}
        {%- set relation = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- endif -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error(
            "The funnel_states seed is not in this warehouse yet: run `dbt seed` (or `dbt build`,"
            " which loads it first) before compiling the models that read the funnel states.") }}
    {%- endif -%}
    {%- set query -%}
        select state, state_order, kind from {{ relation }} order by state_order
    {%- endset -%}
    {{ return(run_query(query).rows) }}
{% endmacro %}


{% macro funnel_state_names(kind=none, exclude=[]) %}
    {#- The names of the funnel states, in order: of one kind ('stage' or 'side') when given, less
        `exclude`. Models pivot on them (a column per state), so a state added to the seed gets
        its columns without a second list to edit. -#}
    {%- set names = [] -%}
    {%- for row in funnel_state_rows() -%}
        {%- if (kind is none or row['kind'] == kind) and row['state'] not in exclude -%}
            {%- do names.append(row['state']) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}


{% macro funnel_state_order(state) %}
    {#- The `state_order` of one funnel state, as a number literal (0 at parse time). -#}
    {%- if not execute -%}
        {{ return(0) }}
    {%- endif -%}
    {%- for row in funnel_state_rows() if row['state'] == state -%}
        {{ return(row['state_order'] | int) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("No funnel state named '" ~ state ~ "' in the funnel_states seed.") }}
{% endmacro %}
