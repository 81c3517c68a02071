{#
    Incremental by contact. The funnel chain (int_engagement_events_attributed to
    int_contact_states_folded) is computed contact by contact, and a contact's rows depend only on
    its own inputs. On DuckDB these models are incremental: a run recomputes every row of the
    contacts whose inputs changed since the model last wrote a row (`int_contact_changes` lists
    them, with when), writes those that came out different, and keeps every other row. Each
    row records the build that first computed it with its values (`built_at`), so a model that
    failed or was skipped in a build catches up with every change since in the next one. On
    other engines the models are tables.
#}

{# The materialization of an incremental-by-contact model on this target. #}
{% macro by_contact_materialization() -%}
    {{- return('incremental' if target.type == 'duckdb' else 'table') -}}
{%- endmacro %}

{# The contacts whose inputs changed since `relation` (an incremental-by-contact model, this
   model by default) was built: a subquery with one column, contact_id. #}
{% macro contacts_to_rebuild(relation=none) -%}
    (select contact_id from {{ b2b_funnel.contacts_to_rebuild_from(relation) }})
{%- endmacro %}

{# The chain's models, in the order they are built. #}
{% macro chain_models() -%}
    {{- return([
        'int_engagement_events_attributed', 'int_engagement_instants_scored',
        'int_contact_facts_by_instant', 'int_contact_states_folded', 'fct_engagement_events',
    ]) -}}
{%- endmacro %}

{# The relation a model of this project was built into, or none when it does not exist yet.
   For a model that cannot `ref` it: one of its own descendants. #}
{% macro model_relation(name) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set node = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', name) | first -%}
    {{- return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) -}}
{%- endmacro %}

{# Until when every chain model has caught up with the changes int_contact_changes recorded:
   the earliest of the chain models' latest `built_at` (the earliest timestamp when one of them
   is missing). A model that computed a build's changes but found nothing different to write
   keeps an older `built_at`: its changes are then taken again, which costs work, not
   correctness. #}
{% macro chain_caught_up_at() -%}
    {%- set latest = [] -%}
    {%- for name in b2b_funnel.chain_models() -%}
        {%- set relation = b2b_funnel.model_relation(name) -%}
        {%- if relation is none -%}
            {%- do latest.append(b2b_funnel.earliest_timestamp()) -%}
        {%- else -%}
            {%- do latest.append(
                '(select coalesce(max(built_at), ' ~ b2b_funnel.earliest_timestamp() ~ ') from ' ~ relation ~ ')'
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    least({{ latest | join(', ') }})
{%- endmacro %}

{# The later of two values, either of which may be null (null when both are): what a running
   latest carried from a seed and a window over the rows after it add up to. #}
{% macro latest_of(first, second) -%}
    greatest(coalesce({{ first }}, {{ second }}), coalesce({{ second }}, {{ first }}))
{%- endmacro %}

{# The contacts to rebuild with the instant from which (null: from their start), since
   `relation` (this model by default) was built: a subquery with columns contact_id and
   rebuild_from_at. #}
{% macro contacts_to_rebuild_from(relation=none) -%}
    (
        select
            contact_id,
            rebuild_from_at
        from {{ ref('int_contact_changes') }}
        where changed_at > (
            select coalesce(max(built_at), {{ b2b_funnel.earliest_timestamp() }})
            from {{ relation or this }}
        )
    )
{%- endmacro %}

{# A condition on a contact id and an instant: in an incremental run, the contact is one to
   rebuild and the instant is at or after the one it is rebuilt from; in a full build, always
   true. Written as a membership and a scalar subquery correlated on the contact alone, which
   DuckDB turns into hash joins: an EXISTS correlated on the instant too would be evaluated for
   every distinct (contact, instant) of the model's input, ten times slower on the event grain. #}
{% macro is_row_to_rebuild(contact_id, at) -%}
    {%- if is_incremental() -%}
        {{ b2b_funnel.is_contact_to_rebuild(contact_id) }}
        and {{ at }} >= coalesce(
            (
                {#- the columns are renamed, so that unqualified names refer to the model's -#}
                select rebuilt_from_at
                from {{ b2b_funnel.contacts_to_rebuild_from() }} as rebuilt (rebuilt_contact_id, rebuilt_from_at)
                where rebuilt_contact_id = {{ contact_id }}
            ),
            {{ b2b_funnel.earliest_timestamp() }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{# The rows of `relation` that a model reads to compute its rows again: in an incremental run,
   those of the contacts to rebuild dated at or after the instant each is rebuilt from, found by
   one hash join (with the instant as its residual condition: 9 M rows of the reached contacts
   narrowed to a few hundred thousand, where `is_row_to_rebuild` takes a membership and then a
   second join to look the instant up); in a full build, every row. With `or_after` (an
   expression), also every row dated after it: a set union (the models' rows are unique), so
   that each part keeps its own cheap plan where an `or` would test every row for both. Something
   to select from. #}
{% macro rows_to_rebuild(relation, contact_id='contact_id', at='occurred_at', or_after=none) -%}
    {%- if is_incremental() -%}
        (
            select rows_read.*
            from {{ relation }} as rows_read
            inner join {{ b2b_funnel.contacts_to_rebuild_from() }} as rebuilt
                on
                    rows_read.{{ contact_id }} = rebuilt.contact_id
                    and rows_read.{{ at }} >= coalesce(rebuilt.rebuild_from_at, {{ b2b_funnel.earliest_timestamp() }})
            {%- if or_after is not none %}

            union

            select * from {{ relation }}
            where {{ at }} > {{ or_after }}
            {%- endif %}
        )
    {%- else -%}
        {{ relation }}
    {%- endif -%}
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

{# The `replace_contacts` incremental strategy: replace the rows of the contacts to rebuild by
   the rows the model computed (none for a contact that is gone). A contact rebuilt from an
   instant (`rebuild_from_at`) has its rows replaced from that instant on, or from its earliest
   row the model computed when that is earlier (the row before a new instant, which the new
   instant changes); its earlier rows stay. The chain's rows are dated by `occurred_at`. A model that ends with the
   as-of day names its date column in `meta.as_of_column`: its rows dated at or after the end
   of the as-of day are replaced too (the day moved back), and the model may compute rows of
   other contacts (days the as-of day moved forward over).

   A row computed again with the same values (`built_at` aside) stays as it is, with the
   `built_at` of the build that first computed it: only the rows that changed are deleted and
   inserted. A contact reached by one new event keeps most of its rows, so a daily run writes
   and frees a small part of the table instead of every row of every contact it reached. The
   comparison is null-safe; the models' rows are unique, so it is a set comparison. The rows
   to replace are found by a join with each contact's range (`delete ... using`), not by a
   membership and a lookup per row: on a table of 20 M rows, 0.15 s instead of 2 to 3.5 s. #}
{% macro get_incremental_replace_contacts_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set computed = arg_dict['temp_relation'] -%}
    {%- set names = arg_dict['dest_columns'] | map(attribute='name') | list -%}
    {%- set compared = names | reject('equalto', 'built_at') | list -%}
    {%- set as_of_column = config.get('meta', {}).get('as_of_column') -%}
    {#- first: the ranges read the target's latest `built_at`, which the deletes may change #}
    delete from {{ target }} as held
    using (
        select
            rebuilt.contact_id,
            case
                when rebuilt.rebuild_from_at is not null
                    then least(
                        rebuilt.rebuild_from_at,
                        coalesce(first_computed.occurred_at, rebuilt.rebuild_from_at)
                    )
                else {{ b2b_funnel.earliest_timestamp() }}
            end as replaced_from_at
        from {{ b2b_funnel.contacts_to_rebuild_from(target) }} as rebuilt
        left join (
            select
                contact_id,
                min(occurred_at) as occurred_at
            from {{ computed }}
            group by contact_id
        ) as first_computed
            on rebuilt.contact_id = first_computed.contact_id
    ) as ranges
    where
        held.contact_id = ranges.contact_id
        and held.occurred_at >= ranges.replaced_from_at
        and not exists (
            select 1 from {{ computed }} as computed
            where {{ b2b_funnel.same_values('computed', 'held', compared) }}
        );
    {%- if as_of_column %}

    delete from {{ target }} as held
    where
        held.{{ as_of_column }} >= {{ b2b_funnel.as_of_at() }}
        and not exists (
            select 1 from {{ computed }} as computed
            where {{ b2b_funnel.same_values('computed', 'held', compared) }}
        );
    {%- endif %}

    {{ b2b_funnel.insert_rows_not_held(target, computed, names, at='occurred_at') }}
{%- endmacro %}

{#
    Incremental by contact, cut at the as-of day. The models after the fold
    (int_contact_stage_timeline, int_contacts_staged) read what the fold holds of a contact up
    to the end of the as-of day, so a contact's rows change when its facts do (the chain's
    changes, `int_contact_changes`) or when the as-of day moves over one of the instants they
    are computed from. Each model's rows say, per contact, the latest such instant before the
    end of the day and the earliest one after it: a later day reaches the contacts whose next
    instant is before its end, an earlier day the contacts whose latest one is at or after it.
    Nothing else needs to remember which day a model was built as of. On other engines the
    models are tables.
#}

{# The contacts a model cut at the as-of day computes again (a subquery with one column,
   contact_id): those whose facts changed since it was built, and those the as-of day moved
   over, by the model's columns holding each contact's next instant after the day it was built
   as of (`next_at`) and its latest instant before that day's end (`last_at`). #}
{% macro contacts_to_rebuild_at_as_of(next_at, last_at) -%}
    (
        select contact_id from {{ b2b_funnel.contacts_to_rebuild_from() }}
        union
        select contact_id from {{ this }}
        where
            {{ next_at }} < {{ b2b_funnel.as_of_at() }}
            or {{ last_at }} >= {{ b2b_funnel.as_of_at() }}
    )
{%- endmacro %}

{# The `replace_whole_contacts` incremental strategy, for a model that computes every row of each
   contact it computes: the held rows of those contacts and of the contacts to rebuild (a contact
   that is gone has no row computed) are replaced by the rows computed. As in `replace_contacts`,
   a row computed again with the same values (`built_at` aside) stays as it is. #}
{% macro get_incremental_replace_whole_contacts_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set computed = arg_dict['temp_relation'] -%}
    {%- set names = arg_dict['dest_columns'] | map(attribute='name') | list -%}
    {%- set compared = names | reject('equalto', 'built_at') | list -%}
    delete from {{ target }} as held
    using (
        select contact_id from {{ b2b_funnel.contacts_to_rebuild_from(target) }}
        union
        select contact_id from {{ computed }}
    ) as replaced
    where
        held.contact_id = replaced.contact_id
        and not exists (
            select 1 from {{ computed }} as computed
            where {{ b2b_funnel.same_values('computed', 'held', compared) }}
        );

    {{ b2b_funnel.insert_rows_not_held(target, computed, names) }}
{%- endmacro %}

{# The insert that ends both strategies: the computed rows `target` does not hold with the same
   values (`built_at` aside), in the columns `names`. Only the held rows that could hold them are
   compared: those of the contacts computed, and with `at` (the model's date column), dated from
   each contact's earliest row computed. Comparing every held row would hash the whole table
   (20 M rows on the event grain) to insert the few hundred thousand rows of a daily run. #}
{% macro insert_rows_not_held(target, computed, names, at=none) -%}
    insert into {{ target }} ({{ get_quoted_csv(names) }})
    select {{ get_quoted_csv(names) }} from {{ computed }} as computed
    where not exists (
        select 1
        from {{ target }} as kept
        inner join (
            select
                contact_id
                {%- if at %},
                min({{ at }}) as first_computed_at
                {%- endif %}
            from {{ computed }}
            group by contact_id
        ) as contacts_computed
            on
                kept.contact_id = contacts_computed.contact_id
                {%- if at %}
                and kept.{{ at }} >= contacts_computed.first_computed_at
                {%- endif %}
        where {{ b2b_funnel.same_values('computed', 'kept', names | reject('equalto', 'built_at') | list) }}
    )
{%- endmacro %}

{# True when two rows hold the same values in `columns`, nulls equal to nulls. #}
{% macro same_values(left, right, columns) -%}
    {%- for column in columns -%}
        {{ left }}.{{ adapter.quote(column) }} is not distinct from {{ right }}.{{ adapter.quote(column) }}
        {%- if not loop.last %} and {% endif -%}
    {%- endfor -%}
{%- endmacro %}

{# A text fingerprint of a row's values (nulls included), to compare rows across builds. #}
{% macro row_text(columns) -%}
    {%- for column in columns -%}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '~')
        {%- if not loop.last %} || '|' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}

{# A text fingerprint of a group's rows in any order (an aggregate): the sum of the 64-bit
   hashes of their texts and their count. A changed row changes the sum but by a chance of one
   in 2^64; an ordered list of the rows would sort each group's rows (3.4 of the 4 CPU-seconds
   of int_contacts_fingerprinted at 1 M contacts). #}
{% macro unordered_rows_text(row_text) -%}
    cast(sum(cast({{ b2b_funnel.hash_64(row_text) }} as decimal(38, 0))) as {{ dbt.type_string() }})
    || ':' || cast(count(*) as {{ dbt.type_string() }})
{%- endmacro %}

{# When this dbt invocation started (UTC): what the change-tracking models record. #}
{% macro build_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#
    Data tests on what the latest build wrote. A test of an incremental-by-contact model whose
    `where` config is `__latest_build__:<columns>` (one column, or several separated by commas)
    reads the rows the latest build wrote (its `built_at`) and every row whose values in
    <columns> one of them holds: with `contact_id`, every row of the contacts it touched (enough
    for a rule within a contact's history); with a key, every row holding a key it wrote (enough
    for the key's uniqueness: the new rows looked up in the whole table, a few rows per contact
    rather than its history; a null key it wrote is among its own rows). Rows no build touched
    since were tested when written. When the latest build wrote every row (a full build), the
    test reads the table as it is: the filter would keep every row, and its lookup of each
    row's key among the rows written (a join of the table with itself) cost more than the test.
    This overrides dbt's `get_where_subquery`, which gives every other `where` as it is.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and where.startswith('__latest_build__:') and b2b_funnel.latest_build_wrote_every_row(relation) -%}
        {%- set where = none -%}
    {%- elif where and where.startswith('__latest_build__:') -%}
        {%- set columns = where.split(':')[1].split(',') | map('trim') | join(', ') -%}
        {%- set where -%}
            built_at = (select max(built_at) from {{ relation }})
            {%- if columns != 'built_at' %}
            or ({{ columns }}) in (
                select {{ columns }} from {{ relation }}
                where built_at = (select max(built_at) from {{ relation }})
            )
            {%- endif %}
        {%- endset -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{# True when every row of `relation` was written by its latest build (a full build, or an
   incremental one that rewrote everything); false when parsing, or when it is not built yet
   (`dbt compile` or `docs generate` on an empty warehouse). #}
{% macro latest_build_wrote_every_row(relation) -%}
    {%- if not execute or load_relation(relation) is none -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set result = run_query('select min(built_at) = max(built_at) from ' ~ relation) -%}
    {%- do return(result.columns[0].values()[0] is true) -%}
{%- endmacro %}

{#
    Incremental by person. The contact grain's per-person models (int_contact_epochs,
    int_contacts_matched_to_companies, int_fit_criteria_matched, int_contacts_fit_scored, and
    the fit rows of fct_contact_score_components) compute a person's rows from its own records
    and the companies it is matched to. On DuckDB they are incremental: a run
    computes every row of the persons `int_contact_grain_changes` found changed since the model
    last wrote a row (its `built_at`), deletes their held rows and inserts those computed (none
    for a person that is gone). A model that failed or was skipped in a build catches up with
    every change since in the next one. On other engines the models are tables.
#}

{# The persons whose contact-grain rows changed since `relation` (an incremental-by-person
   model, this model by default) was built: a subquery with one column, contact_id. #}
{% macro persons_to_rebuild(relation=none) -%}
    (
        select contact_id
        from {{ ref('int_contact_grain_changes') }}
        where changed_at > (
            select coalesce(max(built_at), {{ b2b_funnel.earliest_timestamp() }})
            from {{ relation or this }}
        )
    )
{%- endmacro %}

{# A condition on a person's contact id column: in an incremental run, the person is one to
   rebuild; in a full build, always true. #}
{% macro is_person_to_rebuild(contact_id) -%}
    {%- if is_incremental() -%}
        {{ contact_id }} in {{ b2b_funnel.persons_to_rebuild() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{# The `replace_persons` incremental strategy: the held rows of the persons to rebuild are
   replaced by the rows computed. The person's column is `contact_id`, or the one the model
   names in `meta.person_column`; a model that also holds rows of no person names them in
   `meta.rows_of_no_person` (a condition on its columns): it computes them whole each run, and
   they are all replaced. #}
{% macro get_incremental_replace_persons_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set names = arg_dict['dest_columns'] | map(attribute='name') | list -%}
    {%- set meta = config.get('meta', {}) -%}
    {#- first: the persons are read off the target's latest `built_at`, which the insert changes #}
    delete from {{ target }}
    where
        {{ meta.get('person_column', 'contact_id') }} in {{ b2b_funnel.persons_to_rebuild(target) }}
        {%- if meta.get('rows_of_no_person') %}
        or ({{ meta['rows_of_no_person'] }})
        {%- endif %};

    insert into {{ target }} ({{ get_quoted_csv(names) }})
    select {{ get_quoted_csv(names) }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
