{# Every non-null value of the column is zero or more: a count, or days between two stages. #}
{% test not_negative(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
