{#
    Along the funnel, each entity enters the stages in order: for every pair of stages of the
    `funnel_states` seed, the earlier one was not first entered after the later one. For a long table of
    transitions (one row per entity and entry), such as fct_funnel_transitions: a stage entered
    again later (an SQL after a lost opportunity) does not count; side states and out_of_target
    (left and entered again as the fit changes) are ignored. Returns one row per entity out of order.
#}
{% test stages_entered_in_funnel_order(model, entity_column, stage_column, date_column) %}

{%- set stages = funnel_state_names('stage', exclude=['out_of_target']) %}

with

stages_entered as (

    select
        {{ entity_column }} as entity_id,
        {% for stage in stages %}
            min(case when {{ stage_column }} = '{{ stage }}' then {{ date_column }} end) as {{ stage }}_at
            {%- if not loop.last %},{% endif %}
        {% endfor %}

    from {{ model }}
    group by {{ entity_column }}

)

select *
from stages_entered
where
    {% for later in stages %}
        {% for earlier in stages[:loop.index0] %}
            {{ earlier }}_at > {{ later }}_at
            {% if not loop.last %}or{% endif %}
        {% endfor %}
        {% if not loop.last and loop.index0 > 0 %}or{% endif %}
    {% endfor %}

{% endtest %}
