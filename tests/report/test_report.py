"""The leadership report: its numbers are the marts', and it renders offline in real Chromium.

One generated base for the module, built the cheap way (the load function, then dbt builds the
models the report reads, without their tests), published with the real `publish`, reported in both
languages with the real `write_reports`. The full `funnel run` path is covered by
tests/serving/test_serving_e2e.py. Set REPORT_SCREENSHOTS to a folder to keep the screenshots.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from chromium import chromium, watch

from orchestration.contract import ENTITIES
from orchestration.loading import load_entity
from orchestration.publishing import publish
from orchestration.report import LANGUAGES, REPORT_FILENAME, dated_report_name, report_name
from orchestration.report.data import SEGMENTS, STAGES, STEPS
from orchestration.report.labels import LABELS_SEED
from orchestration.report.render import write_reports
from orchestration.report.stats import MIN_CONTACTS_FOR_A_READING
from orchestration.settings import PROJECT_DIR
from orchestration.synthetic import generate

AS_OF = date(2026, 6, 30)
PERIOD, PREVIOUS = date(2026, 6, 1), date(2026, 5, 1)
BIN = Path(sys.executable).parent
REPORT_TABLES = [
    "dim_companies",
    "dim_contacts",
    "fct_funnel_daily",
    "fct_funnel_transitions",
    "rpt_labels",
    "rpt_stage_conversion",
    "rpt_stage_durations",
]
CHARTS = ["headlines", "funnel", "cohorts", "segments", "sources", "durations"]


class Built:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.reports: dict[str, Path] = {}

    def marts(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as connection:
            return connection.execute(sql, params or []).fetchall()

    def html(self, lang: str) -> str:
        return self.reports[lang].read_text(encoding="utf-8")

    def shown(self, lang: str) -> str:
        """The report's text as the reader sees it: the charts' JSON escapes `/`, `<`, `>`."""
        html = self.html(lang)
        for escaped, char in (("\\u002f", "/"), ("\\u003c", "<"), ("\\u003e", ">")):
            html = html.replace(escaped, char)
        return html

    def data(self, lang: str) -> dict:
        match = re.search(
            r'<script type="application/json" id="report-data">(.*?)</script>',
            self.html(lang),
            re.S,
        )
        assert match, "the report embeds its numbers"
        return json.loads(match.group(1).replace("<\\/", "</"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, project_manifest: Path) -> Built:
    home = tmp_path_factory.mktemp("funnel_home")
    generate(home / "landing", contacts=600, seed=5, end_date=AS_OF, progress=False)
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    for entity in ENTITIES:  # the load step itself, without a Dagster run around it
        load_entity(home / "warehouse.duckdb", home / "landing", entity, load_id="report-test")
    target = home / "dbt_target"
    selection = " ".join(f"+{table}" for table in REPORT_TABLES)
    dbt = subprocess.run(
        [
            str(BIN / "dbt"),
            "build",
            "--profiles-dir",
            str(PROJECT_DIR),
            "--quiet",
            "--target-path",
            str(target),
            "--select",
            selection,
            "--exclude-resource-type",
            "test",
            "--exclude-resource-type",
            "unit_test",
            "--vars",
            json.dumps({"as_of": AS_OF.isoformat()}),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert dbt.returncode == 0, dbt.stdout[-3000:] + dbt.stderr[-3000:]
    shutil.rmtree(target, ignore_errors=True)
    result = Built(home)
    publish(home / "warehouse.duckdb", home / "serving.duckdb", REPORT_TABLES)
    # French as the run's language: funnel-report.html must be the French one
    written = write_reports(home / "serving.duckdb", home / "reports", "fr")
    result.reports = written.by_language
    return result


def test_each_language_has_its_file_and_a_dated_copy_and_the_default_is_the_runs(
    built: Built,
) -> None:
    reports = built.home / "reports"
    for lang in LANGUAGES:
        assert (
            built.reports[lang]
            == reports / f"funnel-report.{lang}.html"
            == reports / report_name(lang)
        )
        dated = reports / dated_report_name(AS_OF, lang)
        assert dated.name == f"funnel-report-{AS_OF}-{lang}.html"
        assert dated.read_text(encoding="utf-8") == built.html(lang)
        assert f'<html lang="{lang}">' in built.html(lang)
    assert (reports / REPORT_FILENAME).read_text(encoding="utf-8") == built.html("fr")
    assert built.html("en") != built.html("fr")


def test_a_report_as_of_a_past_day_writes_only_the_dated_copies(
    built: Built, tmp_path: Path
) -> None:
    written = write_reports(built.home / "serving.duckdb", tmp_path, "en", latest=False)
    assert written.latest is None and written.by_language == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        dated_report_name(AS_OF, lang) for lang in LANGUAGES
    )
    with pytest.raises(ValueError, match="Unknown report language"):
        write_reports(built.home / "serving.duckdb", tmp_path, "de")


def test_the_funnel_and_the_headlines_are_the_marts_numbers(built: Built) -> None:
    data = built.data("en")
    assert data["as_of"] == AS_OF.isoformat()
    assert (data["period"], data["previous_period"]) == (str(PERIOD), str(PREVIOUS))
    for stage in STAGES:
        reached = built.marts(f"select count({stage}_at) from marts.dim_contacts")[0][0]
        assert data["funnel"][stage] == reached, stage
    assert data["funnel"]["customer"] > 0 and data["funnel"]["mql"] > data["funnel"]["sql"]

    headlines = {h["stage"]: h for h in data["headlines"]}
    for stage in STAGES:
        entered, previous = built.marts(
            f"""
            select
                count(*) filter (where date_trunc('month', {stage}_at) = date '{PERIOD}'),
                count(*) filter (where date_trunc('month', {stage}_at) = date '{PREVIOUS}')
            from marts.dim_contacts
            """
        )[0]
        in_stage = built.marts(
            "select count(*) from marts.dim_contacts where funnel_stage = ?", [stage]
        )[0][0]
        assert headlines[stage]["entered"] == entered, stage
        assert headlines[stage]["entered_previous"] == previous, stage
        assert headlines[stage]["in_stage"] == in_stage, stage
        if previous:
            assert headlines[stage]["change"] == pytest.approx(entered / previous - 1)
    # the cards show the same numbers
    html = built.html("en")
    for stage in STAGES:
        card = re.search(rf'data-stage="{stage}".*?data-entered="(\d+)"', html, re.S)
        assert card and int(card.group(1)) == headlines[stage]["entered"]


def test_cohorts_sources_and_segments_are_the_marts_numbers(built: Built) -> None:
    data = built.data("en")
    assert len(data["cohorts"]) == 12
    for cohort in data["cohorts"]:
        leads = built.marts(
            "select count(*) from marts.dim_contacts"
            " where date_trunc('month', lead_at) = cast(? as date)",
            [cohort["month"]],
        )[0][0]
        assert cohort["leads"] == leads
        done, converted = built.marts(
            "select sum(leads_window_elapsed), sum(lead_to_mql_in_window)"
            " from marts.rpt_stage_conversion where cohort_month = cast(? as date)",
            [cohort["month"]],
        )[0]
        expected = converted / done if done else None
        assert cohort["window_rates"]["lead_to_mql"] == pytest.approx(expected)
    # every lead is in one cohort month: the heatmap is not a sample
    assert any(c["window_rates"]["lead_to_mql"] is not None for c in data["cohorts"])
    assert all(c["window_rates"]["lead_to_mql"] is None for c in data["cohorts"][-2:])

    sources = {row["value"]: row["leads"] for row in data["sources"]}
    expected_sources = dict(
        built.marts(
            "select coalesce(lead_source, 'unknown'), count(*) from marts.dim_contacts"
            " where lead_at is not null group by 1"
        )
    )
    assert sources == expected_sources

    grades = {row["value"]: row for row in data["segments"]["icp_fit_grade"]}
    for grade, leads, mqls in built.marts(
        "select icp_fit_grade, count(lead_at), count(mql_at) from marts.dim_contacts"
        " where lead_at is not null group by 1"
    ):
        assert (grades[grade]["leads"], grades[grade]["mqls"]) == (leads, mqls)


def test_days_between_stages_are_the_marts_observed_steps(built: Built) -> None:
    data = built.data("en")
    durations = {d["step"]: d for d in data["durations"]}
    for start, end in [("lead", "mql"), ("mql", "sql"), ("sql", "opportunity")]:
        count, median, p75 = built.marts(
            f"""
            select count(*), quantile_cont(days, 0.5), quantile_cont(days, 0.75) from (
                select epoch(c.{end}_at - c.{start}_at) / 86400 as days
                from marts.dim_contacts as c
                where c.{start}_at is not null and c.{end}_at is not null
                    and c.contact_id not in (
                        select contact_id from marts.fct_funnel_transitions
                        where stage in ('{start}', '{end}') and is_inferred
                    )
            )
            """
        )[0]
        step = durations[f"{start}_to_{end}"]
        assert step["contacts"] == count
        assert step["median_days"] == pytest.approx(median)
        assert step["p75_days"] == pytest.approx(p75)


def test_the_french_report_has_the_same_numbers_in_french(built: Built) -> None:
    english, french = built.data("en"), built.data("fr")
    assert english == french
    html = built.html("fr")
    assert '<html lang="fr">' in html
    assert "Chiffres clés" in html and "Conversion par cohorte" in html
    assert "juin 2026" in html and "Headline numbers" not in html
    leads = english["funnel"]["lead"]
    assert f"{leads:,}".replace(",", "\u202f") in html  # French thousands separator


def _en_rate(converted: int, contacts: int) -> str:
    return f"{round(100 * converted / contacts)}% ({converted:,} / {contacts:,})"


def test_every_rate_shows_the_marts_numerator_and_denominator(built: Built) -> None:
    data, shown = built.data("en"), built.shown("en")
    # the funnel: each step over the contacts that reached the stage before
    reached = dict(
        zip(
            STAGES,
            built.marts(
                "select " + ", ".join(f"count({s}_at)" for s in STAGES) + " from marts.dim_contacts"
            )[0],
            strict=True,
        )
    )
    for start, end in STEPS:
        converted, contacts = data["funnel_conversions"][f"{start}_to_{end}"]
        assert contacts == reached[start], (start, end)
        if start != "prospect":  # prospect to lead counts the prospects that became leads
            assert converted == reached[end]
        assert _en_rate(converted, contacts) in shown, (start, end)
    # sources and segments: the in-window conversions over the contacts that had the window
    expected = {
        value: (converted, contacts)
        for value, converted, contacts in built.marts(
            "select lead_source, sum(lead_to_mql_in_window), sum(leads_window_elapsed)"
            " from marts.rpt_stage_conversion group by 1"
        )
    }
    for row in data["sources"]:
        assert (row["lead_to_mql_in_window"], row["leads_window_elapsed"]) == expected[row["value"]]
        converted, contacts = expected[row["value"]]
        if contacts >= MIN_CONTACTS_FOR_A_READING:
            assert f"n = {contacts:,}" in shown
    grades = built.marts(
        "select icp_fit_grade, sum(mql_to_sql_in_window), sum(mqls_window_elapsed)"
        " from marts.rpt_stage_conversion group by 1"
    )
    rows = {row["value"]: row for row in data["segments"]["icp_fit_grade"]}
    for grade, converted, contacts in grades:
        assert (rows[grade]["mql_to_sql_in_window"], rows[grade]["mqls_window_elapsed"]) == (
            converted,
            contacts,
        )
    # each readable cohort cell: its rate with both counts
    readable = [
        (c["window_converted"]["lead_to_mql"], c["window_elapsed"]["lead_to_mql"])
        for c in data["cohorts"]
        if c["window_elapsed"]["lead_to_mql"] >= MIN_CONTACTS_FOR_A_READING
    ]
    assert readable
    for converted, contacts in readable:
        assert _en_rate(converted, contacts) in shown


def test_a_card_gives_no_percentage_change_on_a_small_base(built: Built) -> None:
    headlines = {h["stage"]: h for h in built.data("en")["headlines"]}
    html = built.html("en")
    small = [
        s for s, h in headlines.items() if 0 < h["entered_previous"] < MIN_CONTACTS_FOR_A_READING
    ]
    assert small, "the test base has no stage with a small base last month"
    for stage in small:
        card = re.search(
            rf'data-stage="{stage}".*?<div class="detail" data-verdict="(\w+)">(.*?)</div>',
            html,
            re.S,
        )
        assert card and card.group(1) == "small", stage
        assert "%" not in card.group(2).replace("for a\u00a0%", ""), card.group(2)


def test_the_minimum_and_the_rules_are_stated_in_both_languages(built: Built) -> None:
    for lang, words in (("en", "too few to read"), ("fr", "trop peu pour conclure")):
        html = built.shown(lang)
        footnote = re.search(r'<p class="intro" id="statistics"[^>]*>(.*?)</p>', html, re.S)
        assert footnote, lang
        assert f"fewer than {MIN_CONTACTS_FOR_A_READING}" in footnote.group(1) or (
            f"moins de {MIN_CONTACTS_FOR_A_READING}" in footnote.group(1)
        )
        assert "Wilson" in footnote.group(1) and "Poisson" in footnote.group(1)
        assert words in html


def test_every_code_in_the_marts_has_a_label_in_both_languages(built: Built) -> None:
    codes = {
        "stage": "select distinct stage from marts.fct_funnel_daily"
        " union select distinct funnel_stage from marts.dim_contacts",
        "step": "select distinct from_stage || '_to_' || to_stage from marts.rpt_stage_durations",
        **{
            column: f"select distinct {column} from marts.rpt_stage_conversion"
            for column in (*SEGMENTS, "lead_source")
        },
    }
    with duckdb.connect(str(built.home / "serving.duckdb"), read_only=True) as connection:
        labels = {
            (kind, code): (en, fr)
            for kind, code, en, fr in connection.execute(
                "select kind, code, label_en, label_fr from marts.rpt_labels"
            ).fetchall()
        }
        missing = [
            (kind, code)
            for kind, sql in codes.items()
            for (code,) in connection.execute(sql).fetchall()
            if code is not None and not all(labels.get((kind, code), ("", "")))
        ]
    assert not missing, f"codes of the marts without a label in seeds/report_labels.csv: {missing}"


def test_the_codes_shown_are_the_seeds_labels_in_each_language(built: Built) -> None:
    with LABELS_SEED.open(encoding="utf-8", newline="") as file:
        seed = {(row["kind"], row["code"]): row for row in csv.DictReader(file)}
    data = built.data("fr")
    shown = [("lead_source", row["value"]) for row in data["sources"]]
    for column in SEGMENTS:
        shown += [(column, row["value"]) for row in data["segments"][column][:8]]
    shown += [("stage", stage) for stage in STAGES]
    assert ("lead_source", "purchased_list") in shown
    for lang in LANGUAGES:
        html = built.shown(lang)
        for key in shown:
            assert seed[key][f"label_{lang}"] in html, (lang, key, seed[key][f"label_{lang}"])
    french = built.shown("fr")
    assert "Fichier acheté" in french and "Purchased list" not in french
    assert "Purchased list" in built.shown("en")


def test_the_report_refers_to_nothing_outside_itself(built: Built) -> None:
    html = built.html("en")
    assert "<link" not in html
    assert not re.search(r"""<(script|img|iframe)[^>]*\ssrc=""", html)
    assert "@import" not in html and "url(http" not in html
    assert html.count("Plotly.newPlot(") == len(CHARTS)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_renders_its_charts_in_chromium_offline(
    built: Built, lang: str, tmp_path: Path
) -> None:
    report = built.reports[lang]
    folder = Path(os.environ.get("REPORT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    screenshot = folder / f"report-{lang}.png"
    with chromium(tmp_path / "profile") as context:  # every request but a file's is aborted
        page = context.new_page()
        seen = watch(page)
        page.goto(report.as_uri(), wait_until="load")
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(CHARTS)}",
            timeout=60_000,
        )
        rendered = page.evaluate(
            """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
                (div) => [div.id, div.querySelectorAll('.trace, .bars, .hm, .funnel').length]
            )"""
        )
        # the four segment panels share one rate scale
        ranges = page.evaluate(
            """() => {
                const layout = document.getElementById('chart-segments')._fullLayout;
                return ['xaxis', 'xaxis2', 'xaxis3', 'xaxis4'].map((a) => layout[a].range);
            }"""
        )
        # no mode bar floating over the charts' titles
        mode_bars = page.evaluate("document.querySelectorAll('.modebar-container *').length")
        page.hover("#chart-segments .svg-container")
        mode_bars += page.evaluate("document.querySelectorAll('.modebar-btn').length")
        page.screenshot(path=str(screenshot), full_page=True)
    assert seen.problems() == []
    assert seen.requests == [report.as_uri()], "the report must make no request but its own file"
    assert sorted(div for div, _ in rendered) == sorted(f"chart-{c}" for c in CHARTS)
    assert all(traces > 0 for _, traces in rendered), rendered
    assert all(r == ranges[0] for r in ranges) and 0 < ranges[0][1] <= 1, ranges
    assert mode_bars == 0
    assert screenshot.stat().st_size > 50_000
