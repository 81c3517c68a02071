"""The leadership report as a Dagster asset: written at every run, after publication.

It reads the published copy (`serving.duckdb`): the report shows what BI shows, only after the
checks passed. Each run writes every language (`funnel-report.en.html`, `funnel-report.fr.html`)
and `funnel-report.html` in the run's language. A run as of an earlier day than the publication
(which it leaves alone) writes only the dated reports, from the checked warehouse, and leaves
the latest ones alone.
"""

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from orchestration.defs.published import PUBLISHED_KEY
from orchestration.defs.resources import FunnelHomeResource
from orchestration.defs.schedules import run_as_of
from orchestration.publishing import as_of_of
from orchestration.report import DEFAULT_LANGUAGE, LANGUAGES

REPORTS_GROUP = "reports"
LEADERSHIP_REPORT_KEY = AssetKey(["reports", "leadership_report"])


class ReportConfig(Config):
    """Run configuration of the leadership report."""

    lang: str = DEFAULT_LANGUAGE
    """The language of `funnel-report.html`: `en` (default) or `fr`. Both languages are written
    (`funnel-report.en.html`, `funnel-report.fr.html`) whatever it is."""


@asset(
    key=LEADERSHIP_REPORT_KEY,
    group_name=REPORTS_GROUP,
    deps=[PUBLISHED_KEY],
    kinds={"html"},
    description=(
        "The leadership stage-conversion report: self-contained HTML files in"
        " FUNNEL_HOME/reports/, one per language (funnel, cohorts, segments, sources, days"
        " between stages, what moved against the previous month)."
    ),
)
def leadership_report(
    context: AssetExecutionContext, config: ReportConfig, funnel_home: FunnelHomeResource
) -> MaterializeResult:
    if config.lang not in LANGUAGES:
        raise ValueError(
            f"Unknown report language {config.lang!r}: use one of {', '.join(LANGUAGES)}."
        )
    from orchestration.report.render import write_reports  # plotly loads only when it runs

    paths = funnel_home.paths
    if as_of_of(paths.serving) == run_as_of(context.run.run_config):
        written = write_reports(paths.serving, paths.reports, config.lang)
        names = ", ".join(path.name for path in written.by_language.values())
        context.log.info(f"Wrote the leadership report to {written.latest} (and {names})")
    else:  # the publication is as of another (later) day: this run's reports are dated only
        written = write_reports(paths.warehouse, paths.reports, config.lang, latest=False)
        names = ", ".join(path.name for path in written.dated.values())
        context.log.info(
            f"Wrote the leadership report as of {written.data.as_of} to {paths.reports}: {names}"
        )
    data = written.data
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(written.latest or written.dated[config.lang])),
            "dated_copy": MetadataValue.path(str(written.dated[config.lang])),
            "by_language": MetadataValue.json(
                {lang: str(path) for lang, path in (written.by_language or written.dated).items()}
            ),
            "lang": config.lang,
            "as_of": data.as_of.isoformat(),
            "period": data.period.isoformat(),
            "leads_in_period": next(h.entered for h in data.headlines if h.stage == "lead"),
        }
    )
