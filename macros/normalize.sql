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

{# A syntactically valid email (of a normalised value): one @ between a non-empty local part and a
   domain of dot-separated labels ending in a top-level domain of two letters or more, or a
   punycode one (`xn--p1ai`). Letters (with their combining marks) and digits of any script are
   valid in both parts ('élodie.dupré@société.fr', 'иван@пример.рф'), as are `._%+-` in the local
   part and `-` in labels; spaces, a second @ and empty parts or labels are not. Null is not valid. #}
{% macro is_valid_email(normalized_email) -%}
    coalesce({{ b2b_funnel.regexp_full_match(normalized_email, b2b_funnel.email_pattern()) }}, false)
{%- endmacro %}

{% macro email_pattern() -%}
    [\p{L}\p{M}\p{N}._%+-]+@[\p{L}\p{M}\p{N}-]+([.][\p{L}\p{M}\p{N}-]+)*[.]((\p{L}\p{M}*){2,}|xn--[a-z0-9-]+)
{%- endmacro %}

{# A syntactically valid web domain (of a normalised value): dot-separated labels of lower-case
   letters, digits and inner hyphens, ending in a top-level domain of two letters or more
   (acme.fr; no scheme, path or spaces). Null is not valid. #}
{% macro is_valid_domain(normalized_domain) -%}
    coalesce({{ b2b_funnel.regexp_full_match(normalized_domain, b2b_funnel.domain_pattern()) }}, false)
{%- endmacro %}

{% macro domain_pattern() -%}
    [a-z0-9]([a-z0-9-]*[a-z0-9])?([.][a-z0-9]([a-z0-9-]*[a-z0-9])?)*[.][a-z]{2,}
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

{# How many labels a contact's domain may lose to match a company's domain (a parent of it). #}
{% macro max_domain_parent_levels() -%}
    {{- return(8) -}}
{%- endmacro %}

{# A domain with its first `levels_up` labels removed ('paris.sales.acme.fr', 2 -> 'acme.fr');
   a domain of `levels_up` labels or fewer is returned as it is. #}
{% macro parent_domain(domain, levels_up) -%}
    {%- if levels_up == 0 -%}
        {{ domain }}
    {%- else -%}
        {{ b2b_funnel.regexp_replace_all(domain, '^([^.]+[.]){' ~ levels_up ~ '}', '') }}
    {%- endif -%}
{%- endmacro %}
