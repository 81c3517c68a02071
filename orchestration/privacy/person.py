"""Who a person is in the warehouse, and every row that holds them.

A person is what the models make of them: the contact records sharing a normalised email are one
person (int_contact_ids_mapped), and a record's email may change between its versions. So a
request names one email or one contact id, and the person is the closure of both: the records
with one of the person's emails, every email those records ever had, the records mapped to the
same person (contact lines refused at load included: the person's events may name their id).
Events are the person's by contact id or by email (an event may name only one); sales
activities and opportunities by contact id; quarantined lines by the `contact_id` or `email` of
the line as delivered (a line that is no record: by the identifiers in its text).

The rows are read from the working warehouse: `raw` (what was delivered, with the file and line
each row came from), `raw._quarantine` (lines refused at load) and the public marts (what the
models derived: stages, dates, scores and their explanation). Staging and intermediate models
are the same rows in between and are not listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from orchestration.loading.sql import literal
from orchestration.loading.tables import MANIFEST_TABLE, QUARANTINE_TABLE

# normalised as the staging models normalise emails (macro normalize_email)
NORMALISED_EMAIL = "nullif(nfc_normalize(lower(trim({}))), '')"
MAPPING_TABLE = "intermediate.int_contact_ids_mapped"

# An identifier is in a text where no letter or digit touches it: "c1" is in `{"id": "c1"}` and
# in "c1, c2", not in "c10" nor in a load id whose hex spells it; "anne@x.fr" is in "<anne@x.fr>."
# and not in "joanne@x.fr". A text merely containing another person's id is not theirs.
NOT_ALPHANUMERIC = r"[^\pL\pN]"
RE2_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


def identifier_pattern(identifiers: Iterable[str]) -> str | None:
    """A regular expression (RE2: DuckDB's) matching any of the identifiers, literally, where no
    letter or digit touches it; search lower-cased text with it. None for no identifier. An
    identifier that begins or ends with a sign (`+33 ...`, `(c-9)`) is its own edge there.

    The edges are written once for all the identifiers that need the same ones: RE2 compiles
    an alternation of ten thousand identifiers (a retention batch), not ten thousand groups."""
    by_edges: dict[tuple[bool, bool], list[str]] = {}
    for text in sorted({i.lower() for i in identifiers if i}):
        edges = (text[0].isalnum(), text[-1].isalnum())
        by_edges.setdefault(edges, []).append(RE2_SPECIAL.sub(r"\\\1", text))
    if not by_edges:
        return None
    parts = []
    for (edge_before, edge_after), texts in sorted(by_edges.items()):
        before = f"(^|{NOT_ALPHANUMERIC})" if edge_before else ""
        after = f"($|{NOT_ALPHANUMERIC})" if edge_after else ""
        parts.append(f"{before}({'|'.join(texts)}){after}")
    return "|".join(parts)


# what was delivered: table -> the condition a row of the person meets
SOURCE_TABLES = {
    "raw.contacts": "contact_id in (select id from person_ids)"
    f" or {NORMALISED_EMAIL.format('email')} in (select email from person_emails)",
    "raw.engagement_events": "contact_id in (select id from person_ids)"
    f" or {NORMALISED_EMAIL.format('email')} in (select email from person_emails)",
    "raw.sales_activities": "contact_id in (select id from person_ids)",
    "raw.opportunities": "contact_id in (select id from person_ids)",
}
# a line refused as a record keeps its columns as a JSON object; a line that is no record (a
# broken quote, a wrong column count) keeps its text, searched for the identifiers themselves.
# The record is null for such a line: DuckDB may evaluate `->>` on rows a `case` leaves out.
IS_RECORD = "json_valid(raw_record) and json_type(raw_record) = 'OBJECT'"
QUARANTINED_RECORD = f"(case when {IS_RECORD} then raw_record end)"
QUARANTINED_ID = f"{QUARANTINED_RECORD} ->> 'contact_id'"
QUARANTINED_EMAIL = NORMALISED_EMAIL.format(f"{QUARANTINED_RECORD} ->> 'email'")

# the contact lines refused at load that are records: they still say which ids and emails go
# together (the person's events may name the id of a contact line the load refused)
QUARANTINED_CONTACTS = f"""(
    select raw_record from {QUARANTINE_TABLE}
    where entity = 'contacts' and {IS_RECORD}
)"""
# what the models derived, keyed by the person's surviving contact_id
DERIVED_TABLES = {
    "marts.dim_contacts": "contact_id",
    "marts.fct_funnel_transitions": "contact_id",
    "marts.fct_contact_score_components": "contact_id",
    "marts.fct_engagement_events": "contact_id",
}
ORDER = {
    "raw.contacts": "_loaded_at, _file_path, _line_number",
    "raw.engagement_events": "occurred_at, event_id",
    "raw.sales_activities": "occurred_at, activity_id",
    "raw.opportunities": "created_at, opportunity_id",
    "marts.dim_contacts": "contact_id",
    "marts.fct_funnel_transitions": "contact_id, transition_number",
    "marts.fct_contact_score_components": "contact_id, score, component_id",
    "marts.fct_engagement_events": "occurred_at, event_id",
}


@dataclass
class Person:
    """The identifiers of one person: source contact ids (the surviving ones among them) and
    normalised emails."""

    contact_ids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)

    @property
    def found(self) -> bool:
        return bool(self.contact_ids or self.emails)


def _exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        connection.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?"
            " and database_name = current_database()",
            [schema, name],
        ).fetchone()[0]
    )


def _quarantine_condition(person: Person) -> str:
    """The condition a quarantined line of the person meets (the person's tables bound)."""
    pattern = identifier_pattern(person.contact_ids | person.emails)
    # the pattern as a constant: DuckDB compiles it once, not once per line
    in_text = f"regexp_matches(lower(raw_record), {literal(pattern)})" if pattern else "false"
    return f"""
        entity in ('contacts', 'engagement_events', 'sales_activities', 'opportunities')
        and case
            when {IS_RECORD} then
                {QUARANTINED_ID} in (select id from person_ids)
                or {QUARANTINED_EMAIL} in (select email from person_emails)
            else {in_text}
        end
    """


def _bind(connection: duckdb.DuckDBPyConnection, person: Person) -> None:
    """Make the person's identifiers the temp tables the queries read."""
    connection.execute("create or replace temp table person_ids (id varchar)")
    connection.execute("create or replace temp table person_emails (email varchar)")
    if person.contact_ids:
        connection.executemany(
            "insert into person_ids values (?)", [[i] for i in sorted(person.contact_ids)]
        )
    if person.emails:
        connection.executemany(
            "insert into person_emails values (?)", [[e] for e in sorted(person.emails)]
        )


def find_person(
    connection: duckdb.DuckDBPyConnection,
    *,
    email: str | None = None,
    contact_id: str | None = None,
    contact_ids: Iterable[str] = (),
) -> Person:
    """The person an email or a contact id names: the closure described in the module's docstring.
    Identifiers found nowhere in the warehouse are not part of the result (an unknown person is
    `Person()`, not found). Given several `contact_ids`, the people they name, as one: the
    closure of a union is the union of the closures, found in the same few queries."""
    asked = [contact_id, *contact_ids]
    ids: set[str] = {i.strip() for i in asked if i and i.strip()}
    emails: set[str] = set()
    if email:
        normalised = connection.execute(
            f"select {NORMALISED_EMAIL.format('?')}", [email]
        ).fetchone()[0]
        emails = {normalised} if normalised else set()
    mapped = _exists(connection, MAPPING_TABLE)
    while True:
        _bind(connection, Person(ids, emails))
        new_ids = {
            row[0]
            for row in connection.execute(
                f"""
                select contact_id from raw.contacts
                where {NORMALISED_EMAIL.format("email")} in (select email from person_emails)
                union select {QUARANTINED_ID} from {QUARANTINED_CONTACTS}
                where {QUARANTINED_EMAIL} in (select email from person_emails)
                {
                    f'''union select source_contact_id from {MAPPING_TABLE}
                    where contact_id in (select id from person_ids)
                    union select contact_id from {MAPPING_TABLE}
                    where source_contact_id in (select id from person_ids)'''
                    if mapped
                    else ""
                }
                """
            ).fetchall()
            if row[0] is not None
        }
        new_emails = {
            row[0]
            for row in connection.execute(
                f"""
                select {NORMALISED_EMAIL.format("email")} from raw.contacts
                where contact_id in (select id from person_ids)
                union select {QUARANTINED_EMAIL} from {QUARANTINED_CONTACTS}
                where {QUARANTINED_ID} in (select id from person_ids)
                """
            ).fetchall()
            if row[0] is not None
        }
        if new_ids <= ids and new_emails <= emails:
            break
        ids |= new_ids
        emails |= new_emails
    return _known(connection, Person(ids, emails))


def _known(connection: duckdb.DuckDBPyConnection, person: Person) -> Person:
    """Keep only identifiers some row holds (a mistyped id or email finds nobody)."""
    rows = person_rows(connection, person)
    if any(rows.values()):
        return person
    return Person()


def _fetch(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = connection.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def person_rows(connection: duckdb.DuckDBPyConnection, person: Person) -> dict[str, list[dict]]:
    """Every row holding the person, by table: raw tables, the quarantine, the public marts
    (tables not built yet are left out)."""
    _bind(connection, person)
    rows: dict[str, list[dict]] = {}
    for table, condition in SOURCE_TABLES.items():
        if _exists(connection, table):
            rows[table] = _fetch(
                connection, f"select * from {table} where {condition} order by {ORDER[table]}"
            )
    if _exists(connection, QUARANTINE_TABLE):
        rows[QUARANTINE_TABLE] = _fetch(
            connection,
            f"select * from {QUARANTINE_TABLE} where {_quarantine_condition(person)}"
            " order by quarantined_at, file_path, line_number",
        )
    surviving = f"select contact_id from {MAPPING_TABLE} where source_contact_id in"
    for table, key in DERIVED_TABLES.items():
        if _exists(connection, table) and _exists(connection, MAPPING_TABLE):
            rows[table] = _fetch(
                connection,
                f"select * from {table} where {key} in ({surviving} (select id from person_ids))"
                f" order by {ORDER[table]}",
            )
    return rows


def source_files(connection: duckdb.DuckDBPyConnection, paths: set[str]) -> list[dict]:
    """The manifest's record of each landing file the person's rows came from."""
    if not paths or not _exists(connection, MANIFEST_TABLE):
        return []
    connection.execute("create or replace temp table person_files (file_path varchar)")
    connection.executemany("insert into person_files values (?)", [[p] for p in sorted(paths)])
    return _fetch(
        connection,
        f"""
        select entity, file_name, file_path, load_id, status, started_at as loaded_at
        from {MANIFEST_TABLE}
        where file_path in (select file_path from person_files)
        order by started_at, file_path
        """,
    )
