{#
    Stage dates never go backwards along the funnel: for each row, every non-null stage date is
    at or after the non-null dates of the stages before it. The stages and their order are the
    `funnel_states` seed's; a stage's date is the column `<stage><date_suffix>`.
#}
{% test stage_dates_in_order(model, date_suffix='_at') %}

{%- set stage_columns = [] -%}
{%- for stage in funnel_state_names('stage', exclude=['out_of_target']) -%}
    {%- do stage_columns.append(stage ~ date_suffix) -%}
{%- endfor %}

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
