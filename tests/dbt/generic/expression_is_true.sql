{#
    A rule across the columns of a row: the rows where `expression` is false fail (null passes,
    as a comparison with a missing value proves nothing).
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
