{#
    Every non-null value of the column is one of the `field` values of `to` that meet
    `to_condition`: a subset of a seed (a funnel stage among the states, a canonical value of one
    vocabulary of `vocabulary_synonyms`), so the set is written once, in the seed.
#}
{% test relationships_where(model, column_name, to, field, to_condition) %}

select child.{{ column_name }}
from {{ model }} as child
where
    child.{{ column_name }} is not null
    and child.{{ column_name }} not in (
        select parent.{{ field }}
        from {{ to }} as parent
        where {{ to_condition }} and parent.{{ field }} is not null
    )

{% endtest %}
