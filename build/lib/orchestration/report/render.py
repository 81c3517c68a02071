"""Render the report: Plotly charts and a Jinja template into one self-contained HTML file.

Self-contained means: plotly.js (shipped in the plotly wheel) is inlined once, the charts' data
is inline JSON, the CSS uses the system's fonts, and nothing refers to a URL. The file opens
offline and makes no network request (a test opens it in headless Chromium to prove it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import jinja2
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from orchestration.report import DEFAULT_LANGUAGE, REPORT_FILENAME, dated_report_name
from orchestration.report.data import (
    MIN_CONTACTS_FOR_A_READING,
    SEGMENTS,
    STAGES,
    STEPS,
    TOP_SEGMENT_VALUES,
    ReportData,
    load_report_data,
    step_name,
)
from orchestration.report.i18n import Formatter
from orchestration.report.reading import reading

TEMPLATE_DIR = Path(__file__).parent
TEMPLATE_NAME = "template.html.j2"

PALETTE = {
    "primary": "#1f4e79",
    "secondary": "#e07a1f",
    "muted": "#9aa5b1",
    "scale": [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]],
}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["sendDataToCloud"],
}


def _layout(fmt: Formatter, **extra) -> dict:
    layout = {
        "template": "plotly_white",
        "font": {"family": FONT, "size": 13, "color": "#1f2933"},
        "separators": fmt.plotly_separators,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "height": 380,
        "legend": {"orientation": "h", "y": -0.15},
    }
    layout.update(extra)
    return layout


def _percent_ticks(fmt: Formatter) -> dict:
    return {"tickformat": ".0%", "rangemode": "tozero"}


def headline_figure(data: ReportData, fmt: Formatter) -> go.Figure:
    labels = [fmt.t(f"stage_{h.stage}") for h in data.headlines]
    figure = go.Figure(
        [
            go.Bar(
                name=fmt.month(data.previous_period),
                x=labels,
                y=[h.entered_previous for h in data.headlines],
                marker_color=PALETTE["muted"],
                text=[fmt.integer(h.entered_previous) for h in data.headlines],
                textposition="outside",
            ),
            go.Bar(
                name=fmt.month(data.period),
                x=labels,
                y=[h.entered for h in data.headlines],
                marker_color=PALETTE["primary"],
                text=[fmt.integer(h.entered) for h in data.headlines],
                textposition="outside",
            ),
        ]
    )
    figure.update_layout(**_layout(fmt, barmode="group", height=340))
    return figure


def funnel_figure(data: ReportData, fmt: Formatter) -> go.Figure:
    figure = go.Figure(
        go.Funnel(
            y=[fmt.t(f"stage_{stage}") for stage in STAGES],
            x=[data.funnel[stage] for stage in STAGES],
            text=[
                fmt.integer(data.funnel[STAGES[0]])
                if index == 0
                else f"{fmt.integer(data.funnel[stage])} · "
                f"{fmt.percent(data.funnel_rates[step_name(STEPS[index - 1])])}"
                for index, stage in enumerate(STAGES)
            ],
            textinfo="text",
            marker={"color": PALETTE["primary"]},
            connector={"line": {"color": PALETTE["muted"]}},
        )
    )
    figure.update_layout(**_layout(fmt, height=360))
    return figure


def cohort_figure(data: ReportData, fmt: Formatter) -> go.Figure:
    # plotly draws the first row at the bottom: reversed, the oldest cohort is on top
    cohorts = list(reversed(data.cohorts))
    rows = [
        fmt.t("cohort_label", month=fmt.short_month(c.month), leads=fmt.integer(c.leads))
        for c in cohorts
    ]
    columns = [fmt.t(f"step_{step_name(step)}") for step in STEPS]
    # a cell over fewer than MIN_CONTACTS_FOR_A_READING contacts stays empty: too few to read
    values = [
        [
            c.window_rates[step_name(step)]
            if c.window_elapsed[step_name(step)] >= MIN_CONTACTS_FOR_A_READING
            else None
            for step in STEPS
        ]
        for c in cohorts
    ]
    counts = [[fmt.integer(c.window_elapsed[step_name(step)]) for step in STEPS] for c in cohorts]
    text = [[fmt.percent(v) if v is not None else "" for v in row] for row in values]
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=columns,
            y=rows,
            text=text,
            customdata=counts,
            texttemplate="%{text}",
            colorscale=PALETTE["scale"],
            zmin=0,
            zmax=1,
            colorbar={"tickformat": ".0%", "thickness": 12},
            hovertemplate="%{y}<br>%{x}: %{text} (n = %{customdata})<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    figure.update_layout(
        **_layout(fmt, height=max(260, 34 * len(rows) + 90), xaxis={"side": "top"})
    )
    return figure


def segment_figure(data: ReportData, fmt: Formatter) -> go.Figure:
    figure = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=[fmt.t(f"segment_{column}") for column in SEGMENTS],
        horizontal_spacing=0.18,
        vertical_spacing=0.14,
    )
    for index, column in enumerate(SEGMENTS):
        rows = list(reversed(data.segments[column][:TOP_SEGMENT_VALUES]))
        labels = [row.value for row in rows]
        for name, attribute, color in (
            (fmt.t("step_mql_to_sql"), "mql_to_sql_in_window_rate", PALETTE["secondary"]),
            (fmt.t("step_lead_to_mql"), "lead_to_mql_in_window_rate", PALETTE["primary"]),
        ):
            figure.add_trace(
                go.Bar(
                    name=name,
                    y=labels,
                    x=[getattr(row, attribute) for row in rows],
                    orientation="h",
                    marker_color=color,
                    showlegend=index == 0,
                    legendgroup=name,
                    hovertemplate="%{y}: %{x:.1%}<extra>" + name + "</extra>",
                ),
                row=index // 2 + 1,
                col=index % 2 + 1,
            )
    figure.update_xaxes(tickformat=".0%", rangemode="tozero")
    figure.update_layout(
        **_layout(
            fmt,
            barmode="group",
            height=760,
            margin={"t": 40},
            legend={"orientation": "h", "y": -0.08, "traceorder": "reversed"},
        )
    )
    return figure


def source_figure(data: ReportData, fmt: Formatter) -> go.Figure:
    sources = data.sources
    labels = [row.value for row in sources]
    figure = go.Figure(
        [
            go.Bar(
                name=fmt.t("step_lead_to_mql"),
                x=labels,
                y=[row.lead_to_mql_in_window_rate for row in sources],
                marker_color=PALETTE["primary"],
                text=[fmt.integer(row.leads) for row in sources],
                textposition="outside",
                hovertemplate="%{x}: %{y:.1%}<extra>" + fmt.t("step_lead_to_mql") + "</extra>",
            ),
            go.Bar(
                name=fmt.t("step_mql_to_sql"),
                x=labels,
                y=[row.mql_to_sql_in_window_rate for row in sources],
                marker_color=PALETTE["secondary"],
                hovertemplate="%{x}: %{y:.1%}<extra>" + fmt.t("step_mql_to_sql") + "</extra>",
            ),
        ]
    )
    figure.update_layout(
        **_layout(fmt, barmode="group", yaxis={**_percent_ticks(fmt), "title": fmt.t("share_axis")})
    )
    return figure


def duration_figure(data: ReportData, fmt: Formatter) -> go.Figure:
    labels = [f"{fmt.t(f'step_{d.step}')} (n = {fmt.integer(d.contacts)})" for d in data.durations]
    figure = go.Figure(
        [
            go.Bar(
                name=fmt.t("median"),
                y=labels,
                x=[d.median_days for d in data.durations],
                orientation="h",
                marker_color=PALETTE["primary"],
                text=[fmt.decimal(d.median_days) for d in data.durations],
                textposition="outside",
            ),
            go.Bar(
                name=fmt.t("p75"),
                y=labels,
                x=[d.p75_days for d in data.durations],
                orientation="h",
                marker_color=PALETTE["muted"],
                text=[fmt.decimal(d.p75_days) for d in data.durations],
                textposition="outside",
            ),
        ]
    )
    figure.update_layout(
        **_layout(
            fmt,
            barmode="group",
            xaxis={"title": fmt.t("days_axis"), "rangemode": "tozero"},
            yaxis={"autorange": "reversed"},
        )
    )
    return figure


def _chart_html(figure: go.Figure, div_id: str) -> str:
    return figure.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG
    )


def render_report(data: ReportData, lang: str = DEFAULT_LANGUAGE) -> str:
    """The whole report as one HTML document (plotly.js inlined)."""
    fmt = Formatter(lang)
    has_leads = data.funnel["lead"] > 0
    charts = {
        "headlines": _chart_html(headline_figure(data, fmt), "chart-headlines"),
        "funnel": _chart_html(funnel_figure(data, fmt), "chart-funnel"),
        "cohorts": _chart_html(cohort_figure(data, fmt), "chart-cohorts") if data.cohorts else None,
        "segments": _chart_html(segment_figure(data, fmt), "chart-segments") if has_leads else None,
        "sources": _chart_html(source_figure(data, fmt), "chart-sources") if has_leads else None,
        "durations": _chart_html(duration_figure(data, fmt), "chart-durations"),
    }
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    template = environment.get_template(TEMPLATE_NAME)
    return template.render(
        lang=lang,
        t=fmt.t,
        fmt=fmt,
        data=data,
        window=data.conversion_window_days,
        top=TOP_SEGMENT_VALUES,
        minimum=MIN_CONTACTS_FOR_A_READING,
        charts={k: jinja2.utils.markupsafe.Markup(v) if v else None for k, v in charts.items()},
        reading=reading(data, fmt),
        plotly_js=jinja2.utils.markupsafe.Markup(get_plotlyjs()),
        report_json=jinja2.utils.markupsafe.Markup(
            json.dumps(data.to_json(), ensure_ascii=False).replace("</", "<\\/")
        ),
    )


def _write_atomically(path: Path, text: str) -> None:
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(text, encoding="utf-8")
    os.replace(staging, path)


def write_report(
    database: Path, reports: Path, lang: str = DEFAULT_LANGUAGE, *, latest: bool = True
) -> tuple[Path | None, Path, ReportData]:
    """Write the report from a database holding the public tables (schema `marts`): the latest
    (`funnel-report.html`, unless `latest` is False) and a dated copy.

    Returns (latest path or None, dated path, its data). The dated copy keeps one report per
    as-of day and language (`funnel-report-2026-06-30-fr.html`), so last month's report stays
    readable.
    """
    Formatter(lang)  # an unknown language fails before anything is read
    with duckdb.connect(str(database), read_only=True) as connection:
        data = load_report_data(connection)
    html = render_report(data, lang)
    reports.mkdir(parents=True, exist_ok=True)
    dated = reports / dated_report_name(data.as_of, lang)
    _write_atomically(dated, html)
    if not latest:
        return None, dated, data
    latest_path = reports / REPORT_FILENAME
    _write_atomically(latest_path, html)
    return latest_path, dated, data
