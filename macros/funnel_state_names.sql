{% macro funnel_state_names(kind=none, exclude=[]) %}
    {#- The names of the `funnel_states` seed's states, in order: of one kind ('stage' or 'side')
        when given, less `exclude`. Models pivot on them (a column per state), so a state added to
        the seed gets its columns without a second list to edit. -#}
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
            " which loads it first) before compiling the models that pivot on the funnel states.") }}
    {%- endif -%}
    {%- set query -%}
        select state from {{ relation }}
        {% if kind is not none %}where kind = '{{ kind }}'{% endif %}
        order by state_order
    {%- endset -%}
    {%- set names = run_query(query).columns[0].values() | list -%}
    {{ return(names | reject('in', exclude) | list) }}
{% endmacro %}
