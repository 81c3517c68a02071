{#
    Portable building blocks for the few things dbt's cross-database macros do not cover.
    Each dispatches on the adapter so the same models run on DuckDB and on Spark: `default__` is
    ANSI SQL or stops the compilation with what to add, `duckdb__` and `spark__` are explicit.
#}

{# A pattern's backslashes (`\p{L}`) doubled for Spark, whose string literals read a backslash as
   an escape; DuckDB's literals keep them as they are. #}
{% macro escape_backslashes(pattern) -%}
    {{ pattern | trim | replace('\\', '\\\\') }}
{%- endmacro %}

{# Replace every match of a regular expression (DuckDB replaces only the first without 'g'). #}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'b2b_funnel')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    {{ exceptions.raise_compiler_error(
        'regexp_replace_all has no implementation for adapter ' ~ adapter.type()
        ~ ': add a macro ' ~ adapter.type() ~ '__regexp_replace_all (see macros/_macros.yml)'
    ) }}
{%- endmacro %}

{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ b2b_funnel.escape_backslashes(pattern) }}', '{{ replacement }}')
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{# True when the whole value matches the regular expression. #}
{% macro regexp_full_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'b2b_funnel')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_full_match(expression, pattern) -%}
    {{ exceptions.raise_compiler_error(
        'regexp_full_match has no implementation for adapter ' ~ adapter.type()
        ~ ': add a macro ' ~ adapter.type() ~ '__regexp_full_match (see macros/_macros.yml)'
    ) }}
{%- endmacro %}

{% macro spark__regexp_full_match(expression, pattern) -%}
    ({{ expression }} rlike '^(?:{{ b2b_funnel.escape_backslashes(pattern) }})$')
{%- endmacro %}

{% macro duckdb__regexp_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{#
    Unicode normalisation form C (composed), so that an accented letter written as one code point
    and as a letter followed by a combining accent compare equal. DuckDB has `nfc_normalize`.
    ANSI SQL has `normalize(expression, NFC)`. Spark SQL has no NFC function: there the value is
    left as it is (an address written in NFD then stays distinct from its NFC spelling), which is
    right for every value already in NFC, what CRMs and mail tools export.
#}
{% macro nfc_normalize(expression) -%}
    {{ return(adapter.dispatch('nfc_normalize', 'b2b_funnel')(expression)) }}
{%- endmacro %}

{% macro default__nfc_normalize(expression) -%}
    normalize({{ expression }}, NFC)
{%- endmacro %}

{% macro spark__nfc_normalize(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro duckdb__nfc_normalize(expression) -%}
    nfc_normalize({{ expression }})
{%- endmacro %}

{# A 64-bit hash of one or more values (`a, b, c`), to fingerprint or group many rows fast (an
   md5 of each costs more; the engines' own 64-bit hashes differ: compare them within one
   warehouse only). #}
{% macro hash_64(expression) -%}
    {{ return(adapter.dispatch('hash_64', 'b2b_funnel')(expression)) }}
{%- endmacro %}

{% macro default__hash_64(expression) -%}
    {{ exceptions.raise_compiler_error(
        'no 64-bit hash for ' ~ adapter.type()
        ~ ': add a macro ' ~ adapter.type() ~ '__hash_64 (see macros/_macros.yml)'
    ) }}
{%- endmacro %}

{% macro spark__hash_64(expression) -%}
    xxhash64({{ expression }})
{%- endmacro %}

{% macro duckdb__hash_64(expression) -%}
    hash({{ expression }})
{%- endmacro %}

{# A number as text, the same on every engine: up to 6 decimals, no trailing zeros (`19176000`,
   `12.5`). A plain cast writes doubles in each engine's own way (DuckDB `19176000.0`, Spark
   `1.9176E7`). #}
{% macro number_as_text(expression) -%}
    trim(trailing '.' from trim(trailing '0' from
        cast(cast({{ expression }} as decimal(38, 6)) as {{ dbt.type_string() }})
    ))
{%- endmacro %}

{# A timestamp some months later, to the microsecond, the day clamped to the month's last
   (2023-01-31 + 1 month = 2023-02-28). dbt's `dateadd` on Spark goes through Unix seconds and
   drops the fraction of a second. #}
{% macro add_months(expression, months) -%}
    {{ return(adapter.dispatch('add_months', 'b2b_funnel')(expression, months)) }}
{%- endmacro %}

{% macro default__add_months(expression, months) -%}
    ({{ expression }} + interval '{{ months }}' month)
{%- endmacro %}

{% macro spark__add_months(expression, months) -%}
    ({{ expression }} + make_ym_interval(0, {{ months }}))
{%- endmacro %}

{% macro duckdb__add_months(expression, months) -%}
    ({{ expression }} + to_months({{ months }}))
{%- endmacro %}
