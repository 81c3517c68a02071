"""The leadership report as a Dagster asset: written at every run, after publication.

It reads the published copy (`serving.duckdb`): the report shows what BI shows, only after the
checks passed. A run as of an earlier day than the publication (which it leaves alone) writes
only the dated report, from the checked warehouse, and leaves `funnel-report.html` alone.
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
    """The report's language: `en` (default) or `fr`."""


@asset(
    key=LEADERSHIP_REPORT_KEY,
    group_name=REPORTS_GROUP,
    deps=[PUBLISHED_KEY],
    kinds={"html"},
    description=(
        "The leadership stage-conversion report: one self-contained HTML file in"
        " FUNNEL_HOME/reports/ (funnel, cohorts, segments, sources, days between stages, change"
        " against the previous month), in English or French."
    ),
)
def leadership_report(
    context: AssetExecutionContext, config: ReportConfig, funnel_home: FunnelHomeResource
) -> MaterializeResult:
    if config.lang not in LANGUAGES:
        raise ValueError(
            f"Unknown report language {config.lang!r}: use one of {', '.join(LANGUAGES)}."
        )
    from orchestration.report.render import write_report  # plotly loads only when it runs

    paths = funnel_home.paths
    if as_of_of(paths.serving) == run_as_of(context.run.run_config):
        latest, dated, data = write_report(paths.serving, paths.reports, config.lang)
        context.log.info(f"Wrote the leadership report to {latest} (and {dated.name})")
    else:  # the publication is as of another (later) day: this run's report is dated only
        latest, dated, data = write_report(
            paths.warehouse, paths.reports, config.lang, latest=False
        )
        context.log.info(f"Wrote the leadership report as of {data.as_of} to {dated}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(latest or dated)),
            "dated_copy": MetadataValue.path(str(dated)),
            "lang": config.lang,
            "as_of": data.as_of.isoformat(),
            "period": data.period.isoformat(),
            "leads_in_period": next(h.entered for h in data.headlines if h.stage == "lead"),
        }
    )
