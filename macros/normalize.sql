{#
    Normalisation shared by the staging models, so that the same value written three ways in
    three exports compares equal.
#}

{# Vocabulary key: lower case, trimmed, runs of spaces, hyphens and underscores made one '_'
   (character classes rather than backslash escapes, which Spark string literals would eat)
   ("Form Submission" -> form_submission). The `vocabulary_synonyms` seed is keyed the same way. #}
{% macro normalize_vocabulary(expression) -%}
    nullif({{ b2b_funnel.regexp_replace_all('lower(trim(' ~ expression ~ '))', '[ _-]+', '_') }}, '')
{%- endmacro %}

{# Email: trimmed, lower-cased and in Unicode NFC (an accent written as a combining mark is
   composed, 'jose\u0301' -> 'josé'), so every spelling of one address compares equal; blank is
   null. #}
{% macro normalize_email(expression) -%}
    nullif({{ b2b_funnel.nfc_normalize('lower(trim(' ~ expression ~ '))') }}, '')
{%- endmacro %}

{# Web domain: lower case, in Unicode NFC like emails, without scheme, `www.`, path or trailing
   dot ("https://www.Acme.fr/" -> acme.fr). #}
{% macro normalize_domain(expression) -%}
    nullif(
        {{ b2b_funnel.regexp_replace_all(
            b2b_funnel.nfc_normalize('lower(trim(' ~ expression ~ '))'),
            '^([a-z]+://)?(www[.])?|[/?#].*$|[.]$',
            ''
        ) }},
        ''
    )
{%- endmacro %}

{# Text: trimmed, blank is null. #}
{% macro clean_text(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}
