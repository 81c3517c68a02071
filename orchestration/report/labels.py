"""The words the report shows for codes (`purchased_list`, `FR`, `50-249`), in each language.

They come from the public table `marts.rpt_labels` (the dbt seed `seeds/report_labels.csv`,
published like every public table), so a team renames a source in the seed and the report and
BI show the new word. A code without a label is shown as a readable form of itself. A database
published before `rpt_labels` existed has no such table: the seed file is read instead.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from orchestration.settings import PROJECT_DIR

LABELS_TABLE = "rpt_labels"
LABELS_SEED = PROJECT_DIR / "seeds" / "report_labels.csv"
# the kinds of code the report shows, named after the columns that hold them
KINDS = ("stage", "step", "icp_fit_grade", "employee_band", "industry", "country", "lead_source")

# kind -> code -> language -> label
LabelTable = dict[str, dict[str, dict[str, str]]]


def readable_code(code: str) -> str:
    """A code as words, for a code the labels do not know: `purchased_list` -> `Purchased list`."""
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else str(code)


def label(labels: LabelTable, kind: str, code: str, lang: str) -> str:
    """The label of `code` in `lang`, else a readable form of the code."""
    found = labels.get(kind, {}).get(str(code), {}).get(lang)
    return found if found else readable_code(code)


def _table(rows) -> LabelTable:
    labels: LabelTable = {}
    for kind, code, label_en, label_fr in rows:
        labels.setdefault(kind, {})[code] = {"en": label_en, "fr": label_fr}
    return labels


def seed_labels(path: Path = LABELS_SEED) -> LabelTable:
    """The labels of the dbt seed itself."""
    with path.open(encoding="utf-8", newline="") as file:
        return _table(
            (row["kind"], row["code"], row["label_en"], row["label_fr"])
            for row in csv.DictReader(file)
        )


def load_labels(connection: duckdb.DuckDBPyConnection) -> LabelTable:
    """Every label of `marts.rpt_labels`, or of the seed when the database has no such table
    (a publication made before the labels were published)."""
    exists = connection.execute(
        "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = ?",
        [LABELS_TABLE],
    ).fetchone()[0]
    if not exists:
        return seed_labels()
    return _table(
        connection.execute(
            f"select kind, code, label_en, label_fr from marts.{LABELS_TABLE} order by kind, code"
        ).fetchall()
    )
