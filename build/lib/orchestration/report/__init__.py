"""The leadership report: one self-contained HTML file of the funnel, in English or French.

Kept light on purpose (no plotly import here): the `funnel` summary reads these names.
"""

from datetime import date

REPORT_FILENAME = "funnel-report.html"
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"


def dated_report_name(as_of: date, lang: str) -> str:
    """The dated copy of a report: one per as-of day and language."""
    stem = REPORT_FILENAME.removesuffix(".html")
    return f"{stem}-{as_of.isoformat()}-{lang}.html"
