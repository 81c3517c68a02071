{#
    The day the funnel is computed as of (YYYY-MM-DD): the `as_of` var when given (the unit
    tests and `dbt build --vars` give it), else the environment variable `FUNNEL_AS_OF` (what
    `funnel run` sets), else today (UTC). Scores are read at the end of that day: `as_of_at()`
    is the first instant after it, and everything dated at or after it is ignored.

    The environment variable is read only when the SQL is compiled (`execute`), never while the
    project is parsed: the day changes every run, and dbt parses again every file that reads an
    environment variable, or the whole project when a `--vars` value changes. Passed this way,
    a new day leaves dbt's parse of the project valid (about 3 s a run).
#}
{% macro as_of_date() -%}
    {%- set day = var('as_of', none) or (env_var('FUNNEL_AS_OF', '') if execute else '') -%}
    {%- if day -%}
        cast('{{ day }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{% macro as_of_at() -%}
    cast({{ dbt.dateadd('day', 1, b2b_funnel.as_of_date()) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{# The points an event still carries at the end of the as-of day: they halve every
   `engagement_half_life_days` (fractional days). Summed per contact, the engagement score. #}
{% macro decayed_to_as_of(points, occurred_at) -%}
    {{ points }} * power(
        2.0,
        -{{ b2b_funnel.days_between(occurred_at, b2b_funnel.as_of_at()) }} / {{ var('engagement_half_life_days') }}
    )
{%- endmacro %}

{# Days (fractional) from one timestamp to a later one. #}
{% macro days_between(start_at, end_at) -%}
    ({{ dbt.datediff(start_at, end_at, 'second') }} / 86400.0)
{%- endmacro %}

{# Every day from start_date to end_date inclusive, as a relation with one column `date_day`. #}
{% macro day_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('day_spine', 'b2b_funnel')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__day_spine(start_date, end_date) -%}
    {{ exceptions.raise_compiler_error(
        'day_spine has no implementation for adapter ' ~ adapter.type()
        ~ ': add a macro ' ~ adapter.type() ~ '__day_spine (see macros/_macros.yml)'
    ) }}
{%- endmacro %}

{% macro spark__day_spine(start_date, end_date) -%}
    (select explode(sequence({{ start_date }}, {{ end_date }}, interval 1 day)) as date_day)
{%- endmacro %}

{% macro duckdb__day_spine(start_date, end_date) -%}
    (
        select cast(generate_series as date) as date_day
        from generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day)
    )
{%- endmacro %}

{# The first non-null value of a window (by its order), ignoring nulls. #}
{% macro first_value_ignore_nulls(expression) -%}
    {{ return(adapter.dispatch('first_value_ignore_nulls', 'b2b_funnel')(expression)) }}
{%- endmacro %}

{# ANSI SQL:2011 puts IGNORE NULLS after the call. #}
{% macro default__first_value_ignore_nulls(expression) -%}
    first_value({{ expression }}) ignore nulls
{%- endmacro %}

{% macro spark__first_value_ignore_nulls(expression) -%}
    first_value({{ expression }}, true)
{%- endmacro %}

{% macro duckdb__first_value_ignore_nulls(expression) -%}
    first_value({{ expression }} ignore nulls)
{%- endmacro %}
