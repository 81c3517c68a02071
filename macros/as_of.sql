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

{# A timestamp before anything the base holds: an empty table's watermark, and the end of a
   record version that was never valid. Not year 1: Spark's results, read through Python, cannot
   hold the days around it. #}
{% macro earliest_timestamp() -%}
    cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{# Days (fractional) from one timestamp to a later one, counted in whole seconds. Divided by a
   double: Spark reads `86400.0` as a decimal and would keep only a few decimals of the days. #}
{% macro days_between(start_at, end_at) -%}
    ({{ b2b_funnel.seconds_between(start_at, end_at) }} / cast(86400 as double))
{%- endmacro %}

{# Seconds from one timestamp to another: the second boundaries between them, as DuckDB's
   `date_diff('second', ...)` counts them. dbt-spark's `datediff(..., 'second')` rounds the
   difference up instead, so the same instants would weigh differently on the two engines. #}
{% macro seconds_between(start_at, end_at) -%}
    {{ return(adapter.dispatch('seconds_between', 'b2b_funnel')(start_at, end_at)) }}
{%- endmacro %}

{% macro default__seconds_between(start_at, end_at) -%}
    {{ exceptions.raise_compiler_error(
        'seconds_between has no implementation for adapter ' ~ adapter.type()
        ~ ': add a macro ' ~ adapter.type() ~ '__seconds_between (see macros/_macros.yml)'
    ) }}
{%- endmacro %}

{% macro duckdb__seconds_between(start_at, end_at) -%}
    date_diff('second', cast({{ start_at }} as timestamp), cast({{ end_at }} as timestamp))
{%- endmacro %}

{% macro spark__seconds_between(start_at, end_at) -%}
    (unix_seconds(cast({{ end_at }} as timestamp)) - unix_seconds(cast({{ start_at }} as timestamp)))
{%- endmacro %}

{# A timestamp plus a number of seconds, its fraction of a second kept (dbt-spark's `dateadd`
   goes through whole Unix seconds and drops it). #}
{% macro add_seconds(seconds, at) -%}
    {{ return(adapter.dispatch('add_seconds', 'b2b_funnel')(seconds, at)) }}
{%- endmacro %}

{% macro default__add_seconds(seconds, at) -%}
    {{ dbt.dateadd('second', seconds, at) }}
{%- endmacro %}

{% macro spark__add_seconds(seconds, at) -%}
    timestampadd(SECOND, {{ seconds }}, {{ at }})
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
