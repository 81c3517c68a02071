"""The leadership report: one self-contained HTML file of the funnel, in English or French.

Kept light on purpose (no plotly import here): the `funnel` summary reads these names.
"""

REPORT_FILENAME = "funnel-report.html"
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
