"""The right of access: everything the warehouse holds on one person, as JSON and as Markdown.

One JSON file for machines (every row, every column, as stored) and one Markdown file for the
person: who they are to the funnel today (stage and dates, scores and why), what was delivered
about them and from which files and sources (GDPR Art. 15 and, for data not collected from
them, Art. 14: the categories of data and where they came from).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.loading.tables import QUARANTINE_TABLE
from orchestration.privacy.person import Person, find_person, person_rows, source_files

FORMAT_VERSION = 1
TITLES = {
    "raw.contacts": "Contact records as delivered",
    "raw.engagement_events": "Engagement events as delivered",
    "raw.sales_activities": "Sales activities as delivered",
    "raw.opportunities": "Opportunities as delivered",
    QUARANTINE_TABLE: "Lines refused at load (kept with their reason)",
    "marts.dim_contacts": "The contact today: fit, scores, stage and dates",
    "marts.fct_funnel_transitions": "Funnel history: each stage entered, when",
    "marts.fct_contact_score_components": "Why the contact scores what it scores",
    "marts.fct_engagement_events": "Engagement events as scored",
}
# the columns of the Markdown summary; the JSON has them all
SUMMARY_COLUMNS = (
    "contact_id",
    "funnel_stage",
    "highest_stage",
    "lead_source",
    "icp_fit_grade",
    "icp_fit_score",
    "engagement_score",
    "is_contactable",
    "not_contactable_reason",
    "prospect_at",
    "lead_at",
    "mql_at",
    "sql_at",
    "opportunity_at",
    "customer_at",
    "as_of_date",
)


class NobodyFound(LookupError):
    """No row of the warehouse holds the email or contact id asked for."""


@dataclass
class PersonExport:
    json_path: Path
    markdown_path: Path
    row_counts: dict[str, int]


def _plain(value):
    """A JSON value for what DuckDB returns."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def export_document(
    connection: duckdb.DuckDBPyConnection,
    *,
    email: str | None = None,
    contact_id: str | None = None,
    generated_at: datetime,
) -> dict:
    """The export of the person an email or contact id names; raises NobodyFound."""
    person = find_person(connection, email=email, contact_id=contact_id)
    if not person.found:
        raise NobodyFound(email or contact_id)
    rows = person_rows(connection, person)
    paths = {
        str(row.get("_file_path") or row.get("file_path"))
        for table, table_rows in rows.items()
        if table.startswith("raw.")
        for row in table_rows
    }
    sources = sorted(
        {row["lead_source"] for row in rows.get("raw.contacts", []) if row.get("lead_source")}
    )
    return _plain(
        {
            "format_version": FORMAT_VERSION,
            "generated_at": generated_at,
            "request": {"email": email, "contact_id": contact_id},
            "person": {
                "contact_ids": sorted(person.contact_ids),
                "emails": sorted(person.emails),
            },
            "origin": {"lead_sources": sources, "files": source_files(connection, paths)},
            "tables": rows,
        }
    )


def _cell(value) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(rows: list[dict], columns: list[str] | tuple[str, ...]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
    return lines


def render_markdown(document: dict) -> str:
    """The export for the person to read: a summary, then every table's rows."""
    person, origin, tables = document["person"], document["origin"], document["tables"]
    lines = [
        "# The data this funnel warehouse holds on you",
        "",
        f"Generated {document['generated_at']} for the request"
        f" {json.dumps({k: v for k, v in document['request'].items() if v})}.",
        "",
        f"- Contact ids: {', '.join(person['contact_ids']) or 'none'}",
        f"- Emails: {', '.join(person['emails']) or 'none'}",
        f"- Where it came from (lead source): {', '.join(origin['lead_sources']) or 'unknown'}",
        "",
    ]
    today = tables.get("marts.dim_contacts", [])
    if today:
        lines += ["## Your place in the funnel", ""]
        lines += _table(today, [c for c in SUMMARY_COLUMNS if c in today[0]])
        lines.append("")
    if origin["files"]:
        lines += ["## The files it came from", ""]
        lines += _table(origin["files"], ["entity", "file_name", "loaded_at", "status"])
        lines.append("")
    for table, rows in tables.items():
        lines += [f"## {TITLES.get(table, table)} (`{table}`, {len(rows)} rows)", ""]
        if rows:
            lines += _table(rows, list(rows[0]))
        else:
            lines.append("None.")
        lines.append("")
    return "\n".join(lines)


def export_person(
    warehouse: Path,
    out_dir: Path,
    *,
    email: str | None = None,
    contact_id: str | None = None,
    generated_at: datetime,
) -> PersonExport:
    """Write `person-export-<day>-<key>.json` and `.md` into `out_dir`; raises NobodyFound.

    The key is a short hash of the request, so the file names say nothing of the person."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        document = export_document(
            connection, email=email, contact_id=contact_id, generated_at=generated_at
        )
    key = hashlib.sha256(json.dumps(document["request"], sort_keys=True).encode()).hexdigest()[:10]
    stem = f"person-export-{generated_at:%Y-%m-%d}-{key}"
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    markdown_path.write_text(render_markdown(document), encoding="utf-8")
    counts = {table: len(rows) for table, rows in document["tables"].items()}
    return PersonExport(json_path, markdown_path, counts)


__all__ = ["NobodyFound", "Person", "PersonExport", "export_document", "export_person"]
