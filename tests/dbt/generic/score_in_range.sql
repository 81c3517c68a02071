{#
    Every non-null value of the column lies within [min_value, max_value]: scores stay on their
    scale (ICP fit 0-100, rates 0-1).
#}
{% test score_in_range(model, column_name, min_value, max_value) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}

{% endtest %}
