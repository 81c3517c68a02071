{#
    Every row reaches a record of `to`: its `column_name` (an id) names one, or its `email_column`
    is one of their emails. Events identify their contact either way; a row with neither is
    attributed to nobody.
#}
{% test known_by_id_or_email(model, column_name, to, field, email_column, to_email_field) %}

with child as (

    select {{ column_name }}, {{ email_column }} from {{ model }}

)

select child.{{ column_name }}, child.{{ email_column }}
from child
where
    not exists (
        select 1 from {{ to }} as parent where parent.{{ field }} = child.{{ column_name }}
    )
    and not exists (
        select 1 from {{ to }} as parent where parent.{{ to_email_field }} = child.{{ email_column }}
    )

{% endtest %}
