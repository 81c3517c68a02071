"""The leadership report: one self-contained HTML file of the funnel per language.

Kept light on purpose (no plotly import here): the `funnel` summary reads these names.

Each run writes `funnel-report.en.html` and `funnel-report.fr.html`, plus `funnel-report.html`,
a copy of the run's language (`funnel run --lang`, default English), and one dated copy per
as-of day and language.
"""

from datetime import date

REPORT_FILENAME = "funnel-report.html"
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"


def report_name(lang: str) -> str:
    """The latest report in one language: `funnel-report.fr.html`."""
    return f"{REPORT_FILENAME.removesuffix('.html')}.{lang}.html"


def dated_report_name(as_of: date, lang: str) -> str:
    """The dated copy of a report: one per as-of day and language."""
    stem = REPORT_FILENAME.removesuffix(".html")
    return f"{stem}-{as_of.isoformat()}-{lang}.html"
