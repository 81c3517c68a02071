"""Render the report: Plotly charts and a Jinja template into one self-contained HTML file.

Self-contained means: plotly.js (shipped in the plotly wheel) is inlined once, the charts' data
is inline JSON, the CSS uses the system's fonts, and nothing refers to a URL. The file opens
offline and makes no network request (a test opens it in headless Chromium to prove it).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import jinja2
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from orchestration.report import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    REPORT_FILENAME,
    dated_report_name,
    report_name,
)
from orchestration.report.data import (
    SEGMENTS,
    STAGES,
    STEPS,
    TOP_SEGMENT_VALUES,
    ReportData,
    load_report_data,
    step_name,
)
from orchestration.report.i18n import Formatter
from orchestration.report.reading import data_moves, reading
from orchestration.report.stats import MIN_CONTACTS_FOR_A_READING, Rate

TEMPLATE_DIR = Path(__file__).parent
TEMPLATE_NAME = "template.html.j2"

PALETTE = {
    "primary": "#1f4e79",
    "secondary": "#e07a1f",
    "muted": "#9aa5b1",
    "too_few": "#b8c0c9",  # a group too small to read: its rate is text, never a bar
    "too_few_cell": "#e4e7eb",
    "whisker": "#3e4c59",
    "scale": [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]],
}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
# No mode bar: it floats over the charts' titles, and the report is read, not edited.
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}
# Grouped bars drawn on numeric positions, so that each bar's label sits at its own bar.
BAR_WIDTH = 0.38
BAR_OFFSET = 0.2


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


def _rate_hover(fmt: Formatter, label: str, rate: Rate) -> str:
    text = f"{label}: {fmt.rate(rate, digits=1)}"
    if rate.interval is not None:
        low, high = rate.interval
        text += "<br>" + fmt.t("interval", low=fmt.percent(low, 1), high=fmt.percent(high, 1))
    if not rate.readable:
        text += "<br>" + fmt.t("too_few")
    return text


def _axis_end(rates: list[Rate]) -> float:
    """One rate scale for comparable panels: the highest readable interval's top, with room for
    the bars' labels, rounded up to a tenth."""
    tops = [r.interval[1] for r in rates if r.readable and r.interval is not None]
    if not tops:
        return 1.0
    return min(1.0, math.ceil(max(tops) / 0.78 * 10 - 1e-9) / 10) or 0.1


def _rate_traces(
    fmt: Formatter,
    name: str,
    color: str,
    positions: list[float],
    labels: list[str],
    rates: list[Rate],
    horizontal: bool,
    show_legend: bool = True,
) -> list[go.BaseTraceType]:
    """A step's bars (readable rates, with their 95 % interval and n) and the texts of the
    groups too small to read (no bar: a bar would be read)."""
    readable = [i for i, rate in enumerate(rates) if rate.readable and rate.value is not None]
    too_few = [i for i, rate in enumerate(rates) if not rate.readable and rate.contacts]
    values = [rates[i].value for i in readable]
    above = [rates[i].interval[1] - rates[i].value for i in readable]
    below = [rates[i].value - rates[i].interval[0] for i in readable]
    where = [positions[i] for i in readable]
    error = {
        "type": "data",
        "symmetric": False,
        "array": above,
        "arrayminus": below,
        "color": PALETTE["whisker"],
        "thickness": 1.2,
        "width": 3,
    }
    hover = [_rate_hover(fmt, labels[i], rates[i]) for i in readable]
    bar = go.Bar(
        name=name,
        width=BAR_WIDTH,
        marker_color=color,
        hovertext=hover,
        hovertemplate="%{hovertext}<extra>" + name + "</extra>",
        legendgroup=name,
        showlegend=show_legend,
        **(
            {"x": values, "y": where, "orientation": "h", "error_x": error}
            if horizontal
            else {"x": where, "y": values, "error_y": error}
        ),
    )
    tops = [rates[i].interval[1] for i in readable]
    # set off from the whisker's cap (horizontal) by two no-break spaces
    pad = "\u00a0\u00a0" if horizontal else ""
    n_text = [pad + fmt.t("n", value=fmt.integer(rates[i].contacts)) for i in readable]
    labels_trace = go.Scatter(
        mode="text",
        text=n_text,
        textposition="middle right" if horizontal else "top center",
        textfont={"size": 11, "color": "#3e4c59"},
        hoverinfo="skip",
        showlegend=False,
        cliponaxis=False,
        **({"x": tops, "y": where} if horizontal else {"x": where, "y": tops}),
    )
    few_where = [positions[i] for i in too_few]
    few_text = [
        f"{fmt.rate(rates[i])} · {fmt.t('too_few')}"
        if horizontal
        else f"{fmt.t('n', value=fmt.integer(rates[i].contacts))}<br>{fmt.t('too_few_short')}"
        for i in too_few
    ]
    few_trace = go.Scatter(
        mode="text",
        text=few_text,
        textposition="middle right" if horizontal else "top center",
        textfont={"size": 11, "color": PALETTE["too_few"]},
        hovertext=[_rate_hover(fmt, labels[i], rates[i]) for i in too_few],
        hovertemplate="%{hovertext}<extra>" + name + "</extra>",
        showlegend=False,
        cliponaxis=False,
        **(
            {"x": [0] * len(too_few), "y": few_where}
            if horizontal
            else {"x": few_where, "y": [0] * len(too_few)}
        ),
    )
    return [bar, labels_trace, few_trace]


def headline_figure(data: ReportData, fmt: Formatter) -> go.Figure:
    labels = [fmt.label("stage", h.stage) for h in data.headlines]
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


def _funnel_text(data: ReportData, fmt: Formatter, stage: str, rate: Rate) -> str:
    text = f"{fmt.integer(data.funnel[stage])} · {fmt.rate(rate)}"
    return text if rate.readable or not rate.contacts else f"{text} · {fmt.t('too_few')}"


def funnel_figure(data: ReportData, fmt: Formatter) -> go.Figure:
    figure = go.Figure(
        go.Funnel(
            y=[fmt.label("stage", stage) for stage in STAGES],
            x=[data.funnel[stage] for stage in STAGES],
            text=[
                fmt.integer(data.funnel[STAGES[0]])
                if index == 0
                else _funnel_text(data, fmt, stage, data.funnel_rate(step_name(STEPS[index - 1])))
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
    columns = [fmt.label("step", step_name(step)) for step in STEPS]
    rates = [[c.window_rate(step_name(step)) for step in STEPS] for c in cohorts]
    # a cell over fewer than MIN_CONTACTS_FOR_A_READING contacts is grey: too few to read
    values = [[r.value if r.readable else None for r in row] for row in rates]
    text = [[fmt.rate(r) if r.readable else "" for r in row] for row in rates]
    hover = [
        [_rate_hover(fmt, "", r).removeprefix(": ") if r.contacts else "" for r in row]
        for row in rates
    ]
    few = [[1 if r.contacts and not r.readable else None for r in row] for row in rates]
    few_text = [
        [
            fmt.t("n", value=fmt.integer(r.contacts)) if r.contacts and not r.readable else ""
            for r in row
        ]
        for row in rates
    ]
    figure = go.Figure(
        [
            go.Heatmap(
                z=values,
                x=columns,
                y=rows,
                text=text,
                customdata=hover,
                texttemplate="%{text}",
                textfont={"size": 11},
                colorscale=PALETTE["scale"],
                zmin=0,
                zmax=1,
                colorbar={"tickformat": ".0%", "thickness": 12},
                hovertemplate="%{y}<br>%{x}: %{customdata}<extra></extra>",
                xgap=2,
                ygap=2,
            ),
            go.Heatmap(
                z=few,
                x=columns,
                y=rows,
                text=few_text,
                customdata=hover,
                texttemplate="%{text}",
                textfont={"size": 11, "color": "#616e7c"},
                colorscale=[[0, PALETTE["too_few_cell"]], [1, PALETTE["too_few_cell"]]],
                showscale=False,
                hovertemplate="%{y}<br>%{x}: %{customdata}<extra></extra>",
                xgap=2,
                ygap=2,
            ),
        ]
    )
    figure.update_layout(
        **_layout(fmt, height=max(260, 34 * len(rows) + 90), xaxis={"side": "top"})
    )
    return figure


SEGMENT_STEPS = (
    # (step, the SegmentRow rate, colour), drawn top to bottom within a group
    ("lead_to_mql", "lead_to_mql", PALETTE["primary"]),
    ("mql_to_sql", "mql_to_sql", PALETTE["secondary"]),
)


def segment_figure(data: ReportData, fmt: Formatter) -> go.Figure:
    figure = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=[fmt.t(f"segment_{column}") for column in SEGMENTS],
        horizontal_spacing=0.2,
        vertical_spacing=0.12,
    )
    shown = {
        column: list(reversed(data.segments[column][:TOP_SEGMENT_VALUES])) for column in SEGMENTS
    }
    # the four panels share one rate axis, so that a bar reads the same in each
    end = _axis_end(
        [
            getattr(row, attr)
            for rows in shown.values()
            for row in rows
            for _, attr, _ in SEGMENT_STEPS
        ]
    )
    for index, column in enumerate(SEGMENTS):
        rows = shown[column]
        labels = [fmt.label(column, row.value) for row in rows]
        place = {"row": index // 2 + 1, "col": index % 2 + 1}
        for offset, (step, attribute, color) in zip(
            (BAR_OFFSET, -BAR_OFFSET), SEGMENT_STEPS, strict=True
        ):
            for trace in _rate_traces(
                fmt,
                fmt.label("step", step),
                color,
                [position + offset for position in range(len(rows))],
                labels,
                [getattr(row, attribute) for row in rows],
                horizontal=True,
                show_legend=index == 0,
            ):
                figure.add_trace(trace, **place)
        figure.update_yaxes(
            tickvals=list(range(len(rows))),
            ticktext=labels,
            range=[-0.6, len(rows) - 0.4],
            showgrid=False,
            **place,
        )
    figure.update_xaxes(tickformat=".0%", range=[0, end])
    figure.update_layout(
        **_layout(
            fmt,
            barmode="overlay",
            height=820,
            margin={"t": 40},
            legend={"orientation": "h", "y": -0.08},
        )
    )
    return figure


def _wrap(label: str, width: int = 12) -> str:
    """A long label on several lines (plotly does not wrap tick labels)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def source_figure(data: ReportData, fmt: Formatter) -> go.Figure:
    sources = data.sources
    labels = [fmt.label("lead_source", row.value) for row in sources]
    ticks = [
        f"{_wrap(label)}<br>{fmt.integer(row.leads)} {fmt.label('stage', 'lead').lower()}"
        for label, row in zip(labels, sources, strict=True)
    ]
    rates = [row.lead_to_mql for row in sources] + [row.mql_to_sql for row in sources]
    figure = go.Figure()
    for offset, (step, attribute, color) in zip(
        (-BAR_OFFSET, BAR_OFFSET), SEGMENT_STEPS, strict=True
    ):
        for trace in _rate_traces(
            fmt,
            fmt.label("step", step),
            color,
            [position + offset for position in range(len(sources))],
            labels,
            [getattr(row, attribute) for row in sources],
            horizontal=False,
        ):
            figure.add_trace(trace)
    figure.update_layout(
        **_layout(
            fmt,
            barmode="overlay",
            height=440,
            legend={"orientation": "h", "y": 1.1},
            xaxis={"tickvals": list(range(len(sources))), "ticktext": ticks, "showgrid": False},
            yaxis={
                "tickformat": ".0%",
                "range": [0, _axis_end(rates)],
                "title": fmt.t("share_axis"),
            },
        )
    )
    return figure


def duration_figure(data: ReportData, fmt: Formatter) -> go.Figure:
    readable = [d.contacts >= MIN_CONTACTS_FOR_A_READING for d in data.durations]
    labels = [
        f"{fmt.label('step', d.step)} ("
        + (
            fmt.t("n", value=fmt.integer(d.contacts))
            if ok
            else fmt.t("too_few_n", value=fmt.integer(d.contacts))
        )
        + ")"
        for d, ok in zip(data.durations, readable, strict=True)
    ]
    figure = go.Figure(
        [
            go.Bar(
                name=fmt.t("median"),
                y=labels,
                x=[d.median_days for d in data.durations],
                orientation="h",
                marker_color=[PALETTE["primary"] if ok else PALETTE["too_few"] for ok in readable],
                text=[fmt.decimal(d.median_days) for d in data.durations],
                textposition="outside",
                cliponaxis=False,
            ),
            go.Bar(
                name=fmt.t("p75"),
                y=labels,
                x=[d.p75_days for d in data.durations],
                orientation="h",
                marker_color=[
                    PALETTE["muted"] if ok else PALETTE["too_few_cell"] for ok in readable
                ],
                text=[fmt.decimal(d.p75_days) for d in data.durations],
                textposition="outside",
                cliponaxis=False,
            ),
        ]
    )
    figure.update_layout(
        **_layout(
            fmt,
            barmode="group",
            margin={"l": 10, "r": 50, "t": 30, "b": 10},
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
    fmt = Formatter(lang, data.labels)
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
        moves={move.key: move for move in data_moves(data) if not move.is_rate},
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


@dataclass
class WrittenReports:
    """The files one report run wrote."""

    data: ReportData
    dated: dict[str, Path]  # language -> dated copy (`funnel-report-2026-06-30-fr.html`)
    by_language: dict[
        str, Path
    ]  # language -> latest (`funnel-report.fr.html`); empty if dated only
    latest: Path | None  # `funnel-report.html`, the default language's; None if dated only


def write_reports(
    database: Path,
    reports: Path,
    default_lang: str = DEFAULT_LANGUAGE,
    *,
    latest: bool = True,
    semantic_manifest: Path | None = None,
) -> WrittenReports:
    """Write the report in every language from a database holding the public tables (schema
    `marts`): `funnel-report.<lang>.html` for each language, `funnel-report.html` in
    `default_lang`, and a dated copy per language; only the dated copies when `latest` is False.
    The rates are the semantic layer's, read from `semantic_manifest` (by default the project's
    parse, `target/semantic_manifest.json`).

    The dated copies keep one report per as-of day and language
    (`funnel-report-2026-06-30-fr.html`), so last month's report stays readable.
    """
    if default_lang not in LANGUAGES:  # before anything is read
        raise ValueError(
            f"Unknown report language {default_lang!r}: use one of {', '.join(LANGUAGES)}."
        )
    with duckdb.connect(str(database), read_only=True) as connection:
        data = load_report_data(connection, semantic_manifest)
    reports.mkdir(parents=True, exist_ok=True)
    written = WrittenReports(data, {}, {}, None)
    for lang in LANGUAGES:
        html = render_report(data, lang)
        written.dated[lang] = reports / dated_report_name(data.as_of, lang)
        _write_atomically(written.dated[lang], html)
        if latest:
            written.by_language[lang] = reports / report_name(lang)
            _write_atomically(written.by_language[lang], html)
            if lang == default_lang:
                written.latest = reports / REPORT_FILENAME
                _write_atomically(written.latest, html)
    return written
