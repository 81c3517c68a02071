{#
    Every non-null value of the column lies within the plausible range of its measure: the dbt
    var `plausible_<measure>` (`{min: ..., max: ...}` in dbt_project.yml), the one home of the
    bound that the great-expectations raw suites and the scorecard read too.
#}
{% test within_plausible_range(model, column_name, measure) %}

select {{ column_name }}
from {{ model }}
where {{ b2b_funnel.outside_plausible_range(column_name, measure) }}

{% endtest %}
