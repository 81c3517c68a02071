{#
    Every non-null value of the column is on or after the date floor (dbt var
    `earliest_plausible_date`) and, unless `up_to_as_of` is false, before the end of the run's
    as-of day. Public models test the as-of day apart, with `not_after_as_of`, because there it
    blocks while the date floor only warns.
#}
{% test plausible_date(model, column_name, up_to_as_of=true) %}

select {{ column_name }}
from {{ model }}
where {{ b2b_funnel.outside_plausible_dates(column_name, up_to_as_of) }}

{% endtest %}
