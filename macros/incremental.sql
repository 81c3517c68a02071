{#
    Incremental by contact. The funnel chain (int_engagement_events_attributed to
    int_contact_states_folded) is computed contact by contact, and a contact's rows depend only on
    its own inputs. On DuckDB these models are incremental: a run rebuilds every row of the
    contacts whose inputs changed since the model last ran (`int_contact_changes` lists them,
    with when), and keeps every other contact's rows. Each row records when the build that
    computed it started (`built_at`), so a model that failed or was skipped in a build catches
    up with every change since in the next one. On other engines the models are tables.
#}

{# The materialization of an incremental-by-contact model on this target. #}
{% macro by_contact_materialization() -%}
    {{- return('incremental' if target.type == 'duckdb' else 'table') -}}
{%- endmacro %}

{# The contacts whose inputs changed since `relation` (an incremental-by-contact model, this
   model by default) was built: a subquery with one column, contact_id. #}
{% macro contacts_to_rebuild(relation=none) -%}
    (
        select contact_id
        from {{ ref('int_contact_changes') }}
        where changed_at > (
            select coalesce(max(built_at), {{ b2b_funnel.earliest_timestamp() }})
            from {{ relation or this }}
        )
    )
{%- endmacro %}

{% macro earliest_timestamp() -%}
    cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{# A condition on a contact id column: in an incremental run, the contact is one to rebuild;
   in a full build, always true. #}
{% macro is_contact_to_rebuild(contact_id) -%}
    {%- if is_incremental() -%}
        {{ contact_id }} in {{ b2b_funnel.contacts_to_rebuild() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{# The `replace_contacts` incremental strategy: delete every row of the contacts to rebuild,
   then insert the rows the model computed (none for a contact that is gone). A model that
   ends with the as-of day names its date column in `meta.as_of_column`: its rows dated at or
   after the end of the as-of day are deleted too (the day moved back), and the model may
   insert rows of other contacts (days the as-of day moved forward over). #}
{% macro get_incremental_replace_contacts_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set as_of_column = config.get('meta', {}).get('as_of_column') -%}
    delete from {{ target }}
    where
        contact_id in {{ b2b_funnel.contacts_to_rebuild(target) }}
        {%- if as_of_column %}
        or {{ as_of_column }} >= {{ b2b_funnel.as_of_at() }}
        {%- endif %};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}

{# A text fingerprint of a row's values (nulls included), to compare rows across builds. #}
{% macro row_text(columns) -%}
    {%- for column in columns -%}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '~')
        {%- if not loop.last %} || '|' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}

{# When this dbt invocation started (UTC): what the change-tracking models record. #}
{% macro build_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
