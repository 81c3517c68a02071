{#
    Every non-null web domain is syntactically valid (`is_valid_domain`, macros/normalize.sql):
    acme.fr, no scheme, path or spaces.
#}
{% test valid_domain(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null and not {{ b2b_funnel.is_valid_domain(column_name) }}

{% endtest %}
