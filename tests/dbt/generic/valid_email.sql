{#
    Every non-null email is syntactically valid (`is_valid_email`, macros/normalize.sql: the one
    home of the pattern, which the models' `is_valid_email` columns use too).
#}
{% test valid_email(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null and not {{ b2b_funnel.is_valid_email(column_name) }}

{% endtest %}
