{#
    Validity periods [from, to) where a null `from` is the beginning of time and a null `to`
    is open-ended. Write the earlier-joined relation's period first.
#}

{# True when the two periods share an instant. #}
{% macro periods_overlap(a_from, a_to, b_from, b_to) -%}
    ({{ a_to }} is null or {{ b_from }} is null or {{ a_to }} > {{ b_from }})
    and ({{ a_from }} is null or {{ b_to }} is null or {{ a_from }} < {{ b_to }})
{%- endmacro %}

{# True when the instant lies in the period. #}
{% macro in_period(instant, period_from, period_to) -%}
    ({{ period_from }} is null or {{ instant }} >= {{ period_from }})
    and ({{ period_to }} is null or {{ instant }} < {{ period_to }})
{%- endmacro %}

{# True when an instant happened and came after another, or happened and the other never did
   (both null-able timestamps: "an opportunity opened since the last disqualification"). #}
{% macro happened_since(event_at, since_at) -%}
    coalesce({{ event_at }} > {{ since_at }}, {{ event_at }} is not null)
{%- endmacro %}
