{#
    Stage dates never go backwards along the funnel: for each row, every non-null stage date is
    at or after the non-null dates of the stages before it (columns listed in funnel order).
#}
{% test stage_dates_in_order(model, stage_columns) %}

select *
from {{ model }}
where
    {% for later in stage_columns %}
        {% for earlier in stage_columns[:loop.index0] %}
            {{ earlier }} > {{ later }}
            {% if not loop.last %}or{% endif %}
        {% endfor %}
        {% if not loop.last and loop.index0 > 0 %}or{% endif %}
    {% endfor %}

{% endtest %}
