{#
    Nothing is dated after the run's as-of day: every non-null value of the column is before the
    end of that day (`as_of_at()`), so a past day's funnel counts only what was known then.
#}
{% test not_after_as_of(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} >= {{ b2b_funnel.as_of_at() }}

{% endtest %}
