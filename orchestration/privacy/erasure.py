"""The right to erasure: one person's identifiers gone from every file under FUNNEL_HOME.

`funnel forget --email` (or `--contact-id`) finds the person as the right of access does
(`person.py`), then, in an order that a crash at any moment can resume:

1. writes the request to `privacy/erasures/<id>.json` (the identifiers it must remove: the
   only file that holds them until the erasure ends, then deleted);
2. adds the person's keyed email hashes to the suppression list (`suppression.py`), so a later
   delivery of them is refused at load;
3. rewrites each landing file that holds them without their records (a temporary file renamed
   over it), other records' bytes unchanged;
4. deletes their rows from every table of the working warehouse (raw, quarantine, models),
   records the rewritten landing files' new size, time and hash in the load manifest (so the
   next load does not take them for new deliveries) and the erasure itself (so the next build
   rebuilds every incremental model), in one transaction; then rewrites the file (DuckDB keeps
   deleted bytes until a file is rewritten);
5. deletes their rows from the published `serving.duckdb` by contact id, in a copy swapped in
   atomically as a publication is;
6. removes what is rebuilt from the warehouse anyway: the Spark lake's files holding them and
   Spark's own tables (`spark/`), the spill folder `tmp/`;
7. redacts the identifiers in every other file: logs, Dagster's run history and compute logs
   (SQLite, vacuumed), great-expectations' stores and Data Docs, dbt's artifacts, reports;
8. scans every byte of every file under FUNNEL_HOME for the identifiers (as UTF-8, UTF-16 and
   URL-encoded text, any case) and only then deletes the request: an erasure that leaves a
   trace fails, and says where.

A row is the person's when it holds one of their contact ids or emails. The identifiers searched
for in bytes are those and the values of their other personal columns (`meta: {personal: true}`
in the dbt YAML, as the publication reads them: names, phone, LinkedIn URL) that no other contact
record holds: a common name or a switchboard's phone is not theirs to erase from others' rows
(their own rows go whole).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, quote_plus

import duckdb
import pyarrow

from orchestration.compaction import rewrite
from orchestration.contract import ENTITIES
from orchestration.durable import fsync_path
from orchestration.loading.discovery import FILE_SUFFIXES
from orchestration.loading.sniffing import detect_encoding, file_hash, sniff_dialect
from orchestration.loading.sql import literal
from orchestration.loading.tables import (
    ERASURES_TABLE,
    MANIFEST_TABLE,
    QUARANTINE_TABLE,
    connect,
    raw_table,
    table_exists,
)
from orchestration.privacy.person import (
    NORMALISED_EMAIL,
    Person,
    find_person,
    identifier_pattern,
    person_rows,
)
from orchestration.privacy.suppression import CONTACT_ID, EMAIL, ERASED, PRIVACY_FOLDER, Suppression
from orchestration.settings import FunnelPaths

REDACTED = "[erased]"
LEFTOVER_SUFFIX = "erasing"  # a temporary file of an erasure: `.<name>.<id>.erasing`
# contact fields that identify a person, in raw rows and quarantined lines
# database files handled as databases, never as text
DUCKDB_SUFFIXES = {".duckdb"}
SQLITE_SUFFIXES = {".db", ".sqlite"}
MIN_NEEDLE_LENGTH = 3


class ErasureIncomplete(RuntimeError):
    """The final scan still found an identifier: the request is kept, to be resumed."""


@dataclass
class ErasureRequest:
    """What one erasure removes. Written to disk before anything is touched, deleted last."""

    request_id: str
    requested_at: str
    contact_ids: list[str]
    emails: list[str]
    needles: list[str]  # ids and emails: a row holding one is the person's
    values: list[str]  # their other identifiers no one else holds: searched for in bytes
    landing_rewritten: dict[str, str] = field(default_factory=dict)  # path -> new content hash

    @property
    def person(self) -> Person:
        return Person(set(self.contact_ids), set(self.emails))

    @property
    def identifiers(self) -> list[str]:
        """Everything searched for in bytes."""
        return [*self.needles, *self.values]


# -- the request ----------------------------------------------------------------------------------


def erasures_dir(paths: FunnelPaths) -> Path:
    return paths.home / PRIVACY_FOLDER / "erasures"


def _write_json_atomically(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp")
    with staging.open("w", encoding="utf-8") as out:
        json.dump(payload, out, ensure_ascii=False, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(staging, path)
    fsync_path(path.parent)


def save_request(paths: FunnelPaths, request: ErasureRequest) -> None:
    _write_json_atomically(erasures_dir(paths) / f"{request.request_id}.json", asdict(request))


def erasure_interrupted(paths: FunnelPaths) -> bool:
    """Whether an erasure was started and not finished (a load must not run before it ends)."""
    folder = erasures_dir(paths)
    return folder.exists() and any(folder.glob("*.json"))


def pending_requests(paths: FunnelPaths) -> list[ErasureRequest]:
    """Erasures a crash interrupted, oldest first (a torn write is a request never made)."""
    folder = erasures_dir(paths)
    if not folder.exists():
        return []
    for torn in folder.glob(".*.tmp"):
        torn.unlink()
    requests = [
        ErasureRequest(**json.loads(p.read_text(encoding="utf-8"))) for p in folder.glob("*.json")
    ]
    return sorted(requests, key=lambda r: r.requested_at)


def _distinct(values: Iterable[str | None]) -> set[str]:
    return {v.strip() for v in values if v and len(v.strip()) >= MIN_NEEDLE_LENGTH}


def personal_columns() -> frozenset[str]:
    """The contact columns that identify a person: those of `dim_contacts` whose dbt `meta` says
    `personal: true`, the same the publication leaves out (one source of truth)."""
    from orchestration.dbt_project import prepare_manifest_if_needed
    from orchestration.publishing import public_table_docs

    prepare_manifest_if_needed()  # a home erased before any run in this checkout
    docs = public_table_docs().get("dim_contacts")
    if docs is None or not docs.personal_columns:
        raise RuntimeError(
            "the dbt manifest names no personal column of dim_contacts: run `funnel run` (or"
            " `dbt parse`) so the erasure knows what identifies a person"
        )
    return docs.personal_columns


def plan_erasure(
    connection: duckdb.DuckDBPyConnection,
    *,
    email: str | None = None,
    contact_id: str | None = None,
    contact_ids: Iterable[str] = (),
) -> ErasureRequest | None:
    """The request for the person an email or contact id names, or None if nobody is. Given
    several `contact_ids` (retention), one request for all the people they name: one pass over
    the files and one rewrite of the warehouse, however many they are."""
    person = find_person(connection, email=email, contact_id=contact_id, contact_ids=contact_ids)
    if not person.found:
        return None
    rows = person_rows(connection, person)
    records = [*rows.get("raw.contacts", []), *rows.get("marts.dim_contacts", [])]
    records += [
        json.loads(row["raw_record"])
        for row in rows.get(QUARANTINE_TABLE, [])
        if row["entity"] == "contacts" and row["raw_record"].lstrip().startswith("{")
    ]
    # rows are the person's by their ids and emails, as delivered or normalised
    emails = _distinct(r.get("email") for r in records)
    needles = person.emails | person.contact_ids | emails
    # their other identifiers (names, phone, LinkedIn URL, an event's other email) are searched
    # for in bytes only when no other contact holds them: a switchboard's phone or a common name
    # is not theirs to erase from others' rows
    columns = personal_columns() - {"email"}
    values = _distinct(r.get(c) for r in records for c in columns)
    values |= _distinct(r.get("email") for r in rows.get("raw.engagement_events", [])) - emails
    return ErasureRequest(
        request_id=uuid.uuid4().hex,
        requested_at=datetime.now(UTC).isoformat(),
        contact_ids=sorted(person.contact_ids),
        emails=sorted(person.emails),
        needles=sorted(needles),
        values=sorted(_held_by_nobody_else(connection, person, values, columns | {"email"})),
    )


def _held_by_nobody_else(
    connection: duckdb.DuckDBPyConnection, person: Person, values: set[str], columns: set[str]
) -> set[str]:
    """The values no contact record of anyone else holds in any of `columns`, any case."""
    if not values:
        return set()
    held = " or ".join(f"lower(v.value) = lower(trim(c.{column}))" for column in sorted(columns))
    shared = {
        row[0]
        for row in connection.execute(
            f"""
            select distinct v.value from unnest($values) v(value)
            join raw.contacts c on {held}
            where c.contact_id not in (select unnest($ids))
            """,
            {"values": sorted(values), "ids": sorted(person.contact_ids)},
        ).fetchall()
    }
    return values - shared


# -- bytes: the forms an identifier takes in files ------------------------------------------------


def needle_forms(needles: Iterable[str]) -> list[bytes]:
    """Each identifier as bytes the way files hold text: UTF-8, UTF-16 (both byte orders),
    URL-encoded and JSON-escaped; lower-cased (files are searched lower-cased)."""
    forms: set[bytes] = set()
    for needle in needles:
        text = needle.lower()
        for variant in {
            text,
            quote(text, safe=""),
            quote_plus(text, safe=""),
            quote(text, safe="@/:"),
            json.dumps(text)[1:-1],
        }:
            forms.add(variant.encode("utf-8"))
            forms.add(variant.encode("utf-16-le"))
            forms.add(variant.encode("utf-16-be"))
    return sorted(forms, key=len, reverse=True)


def _lower(data: bytes) -> bytes:
    """ASCII lower-casing, which keeps byte offsets (UTF-16 and UTF-8 letters of ASCII alike)."""
    return data.lower()


def file_holds(path: Path, forms: list[bytes], chunk: int = 64 << 20) -> bool:
    """Whether the file's bytes hold any of the forms, in any ASCII case."""
    overlap = max((len(f) for f in forms), default=0)
    tail = b""
    with path.open("rb") as stream:
        while block := stream.read(chunk):
            data = _lower(tail + block)
            if any(f in data for f in forms):
                return True
            tail = data[-overlap:] if overlap else b""
    return False


def traces(home: Path, needles: Iterable[str]) -> list[Path]:
    """Every file under `home` whose bytes hold one of the identifiers."""
    forms = needle_forms(needles)
    skip = home / PRIVACY_FOLDER / "erasures"
    return sorted(
        p for p in home.rglob("*") if p.is_file() and skip not in p.parents and file_holds(p, forms)
    )


# -- landing files --------------------------------------------------------------------------------


def _lines_holding(lines: list[str], identifiers: list[str]) -> set[str]:
    """The lines that hold one of the identifiers whole: matched by DuckDB with the pattern the
    warehouse's erasure uses (one pass, whatever the number of identifiers)."""
    pattern = identifier_pattern(identifiers)
    if pattern is None or not lines:
        return set()
    with duckdb.connect() as connection:
        connection.register("lines_read", pyarrow.table({"line": lines}))
        held = connection.execute(
            "select distinct line from lines_read where regexp_matches(lower(line), ?)",
            [pattern],
        ).fetchall()
    return {line for (line,) in held}


def _matches_record(
    fields: Iterable[str | None], lines: list[str], request: ErasureRequest, held: set[str]
) -> bool:
    """Whether a record (its fields, and the lines it spans) is the person's."""
    ids, emails = set(request.contact_ids), set(request.emails)
    for value in fields:
        if value is None:
            continue
        stripped = value.strip()
        if stripped in ids or stripped.lower() in emails:
            return True
    return any(line in held for line in lines)


def _rewrite_text(path: Path, request: ErasureRequest, kind: str) -> tuple[bool, set[str]]:
    """Rewrite a CSV or JSON-lines file without the person's records; whether it changed, and
    the contact ids of the records removed."""
    raw = path.read_bytes()
    encoding = detect_encoding(raw[:4096], _is_utf8(raw))
    text = raw.decode(encoding)
    lines = text.splitlines(keepends=True)
    held = _lines_holding(lines, request.identifiers)
    kept: list[str] = []
    removed_ids: set[str] = set()
    if kind == "json":
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            fields = [str(v) for v in record.values()] if isinstance(record, dict) else []
            if not _matches_record(fields, [line], request, held):
                kept.append(line)
            elif isinstance(record, dict) and record.get("contact_id"):
                removed_ids.add(str(record["contact_id"]).strip())
    elif lines:
        dialect = sniff_dialect(lines[0])
        kept.append(lines[0])
        header = next(csv.reader([lines[0]], delimiter=dialect.delimiter, quotechar=dialect.quote))
        names = [h.strip().strip("\ufeff").lower() for h in header]
        id_at = names.index("contact_id") if "contact_id" in names else None
        body = lines[1:]
        reader = csv.reader(
            io.StringIO("".join(body)), delimiter=dialect.delimiter, quotechar=dialect.quote
        )
        start = 0
        try:
            for fields in reader:
                end = reader.line_num
                record_text = "".join(body[start:end])
                if not _matches_record(fields, body[start:end], request, held):
                    kept.append(record_text)
                elif id_at is not None and id_at < len(fields) and fields[id_at].strip():
                    removed_ids.add(fields[id_at].strip())
                start = end
        except csv.Error:
            # past a quote the csv module cannot read: the rest, line by line
            for line in body[start:]:
                if not _matches_record([], [line], request, held):
                    kept.append(line)
    new_text = "".join(kept)
    if new_text == text:
        return False, removed_ids
    _replace_file(path, new_text.encode(encoding))
    return True, removed_ids


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _replace_file(path: Path, data: bytes) -> None:
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}.{LEFTOVER_SUFFIX}")
    with staging.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(staging, path)
    fsync_path(path.parent)


def _text_columns_condition(
    connection: duckdb.DuckDBPyConnection, relation: str, request: ErasureRequest
) -> str | None:
    """A condition true on the rows of `relation` that hold the person: a text column that is
    one of their ids or emails, or that holds one whole (None: no text column). Never null: a
    row whose text columns are null is not theirs, and `not (condition)` must keep it."""
    columns = [
        name
        for name, kind, *_ in connection.execute(f"describe select * from {relation}").fetchall()
        if kind == "VARCHAR"
    ]
    if not columns:
        return None
    ids = ", ".join(literal(i) for i in request.contact_ids) or "null"
    emails = ", ".join(literal(e) for e in request.emails) or "null"
    # one pattern for every needle: a batch of many people costs one match per value, not one
    # per needle
    pattern = identifier_pattern(request.needles)
    needles = literal(pattern) if pattern else None
    parts = []
    for column in columns:
        quoted = f'"{column}"'
        parts.append(f"trim({quoted}) in ({ids})")
        parts.append(f"{NORMALISED_EMAIL.format(quoted)} in ({emails})")
        if needles:
            parts.append(f"regexp_matches(lower({quoted}), {needles})")
    return "coalesce(" + " or ".join(parts) + ", false)"


def _rewrite_parquet(path: Path, request: ErasureRequest) -> tuple[bool, set[str]]:
    """Rewrite a Parquet file without the person's rows; whether it changed, and the contact ids
    of the rows removed."""
    with duckdb.connect() as connection:
        relation = f"read_parquet({literal(str(path))})"
        condition = _text_columns_condition(connection, relation, request)
        if condition is None:
            return False, set()
        described = connection.execute(f"describe select * from {relation}").fetchall()
        columns = {row[0] for row in described}
        ids = "contact_id::varchar" if "contact_id" in columns else "null::varchar"
        held = connection.execute(f"select {ids} from {relation} where {condition}").fetchall()
        if not held:
            return False, set()
        staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}.{LEFTOVER_SUFFIX}")
        connection.execute(
            f"copy (select * from {relation} where not ({condition})) to {literal(str(staging))}"
            " (format parquet)"
        )
    with staging.open("rb") as written:
        os.fsync(written.fileno())
    os.replace(staging, path)
    fsync_path(path.parent)
    return True, {i.strip() for (i,) in held if i and i.strip()}


def erase_from_landing(paths: FunnelPaths, request: ErasureRequest) -> dict[str, str]:
    """Rewrite every landing file holding the person without them; path -> new content hash.

    Contact files go first: the ids of the contact records removed become the person's too, so
    their events, activities and opportunities go with them (a file delivered after an erasure
    may name the person by ids the warehouse never held)."""
    rewritten = dict(request.landing_rewritten)
    if not paths.landing.exists():
        return rewritten
    files = sorted(
        (p for p in paths.landing.rglob("*") if p.is_file() and not p.name.startswith(".")),
        key=lambda p: (p.parent.name != "contacts", str(p)),
    )
    for path in files:
        kind = FILE_SUFFIXES.get(path.suffix.lower())
        removed_ids: set[str] = set()
        if kind == "parquet":
            changed, removed_ids = _rewrite_parquet(path, request)
        elif kind in {"csv", "json"} and file_holds(path, needle_forms(request.identifiers)):
            changed, removed_ids = _rewrite_text(path, request, kind)
        else:
            changed = False
        if path.parent.name == "contacts" and removed_ids - set(request.contact_ids):
            request.contact_ids = sorted(set(request.contact_ids) | removed_ids)
            request.needles = sorted(set(request.needles) | removed_ids)
        if changed:
            rewritten[str(path)] = file_hash(path)
    return rewritten


# -- databases ------------------------------------------------------------------------------------


def _base_tables(connection: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f'"{schema}"."{name}"'
        for schema, name in connection.execute(
            "select schema_name, table_name from duckdb_tables()"
            " where database_name = current_database() and not temporary"
            " order by schema_name, table_name"
        ).fetchall()
    ]


def _delete_person(connection: duckdb.DuckDBPyConnection, request: ErasureRequest) -> int:
    deleted = 0
    for table in _base_tables(connection):
        condition = _text_columns_condition(connection, table, request)
        if condition:
            deleted += connection.execute(f"delete from {table} where {condition}").fetchone()[0]
    return deleted


def _recount_manifest(connection: duckdb.DuckDBPyConnection) -> None:
    """The manifest's counts of each loaded file made those of the rows still held: the rows
    erased are no longer read, loaded or quarantined, so every file still reconciles."""
    held: dict[tuple[str, str], list[int]] = {}
    for entity in ENTITIES.values():
        if table_exists(connection, raw_table(entity)):
            for file_path, load_id, n in connection.execute(
                f"select _file_path, _load_id, count(*) from {raw_table(entity)} group by all"
            ).fetchall():
                held.setdefault((file_path, load_id), [0, 0])[0] = n
    for file_path, load_id, n in connection.execute(
        f"select file_path, load_id, count(*) from {QUARANTINE_TABLE} group by all"
    ).fetchall():
        held.setdefault((file_path, load_id), [0, 0])[1] = n
    files = connection.execute(
        f"select file_path, load_id, rows_read, rows_loaded, rows_quarantined from {MANIFEST_TABLE}"
        " where status = 'loaded'"
    ).fetchall()
    for file_path, load_id, read, loaded, quarantined in files:
        now_loaded, now_quarantined = held.get((file_path, load_id), [0, 0])
        if (now_loaded, now_quarantined) != (loaded, quarantined):
            erased = (loaded - now_loaded) + (quarantined - now_quarantined)
            connection.execute(
                f"update {MANIFEST_TABLE} set rows_read = ?, rows_loaded = ?,"
                " rows_quarantined = ? where file_path = ? and load_id = ?",
                [read - erased, now_loaded, now_quarantined, file_path, load_id],
            )


def erase_from_warehouse(paths: FunnelPaths, request: ErasureRequest) -> int:
    """Delete the person's rows from every table, record the rewritten landing files and the
    erasure, in one transaction; then rewrite the file. Rows deleted."""
    if not paths.warehouse.exists():
        return 0
    with connect(paths.warehouse) as connection:
        connection.execute("begin transaction")
        deleted = _delete_person(connection, request)
        if table_exists(connection, MANIFEST_TABLE):
            _recount_manifest(connection)
            for path, digest in request.landing_rewritten.items():
                stat = Path(path).stat() if Path(path).exists() else None
                if stat is not None:
                    connection.execute(
                        f"update {MANIFEST_TABLE} set content_hash = ?, file_size = ?,"
                        " file_mtime_ns = ? where file_path = ?",
                        [digest, stat.st_size, stat.st_mtime_ns, path],
                    )
        connection.execute(
            f"create table if not exists {ERASURES_TABLE}"
            " (request_id varchar primary key, erased_at timestamp, rows_deleted bigint)"
        )
        connection.execute(
            f"insert or replace into {ERASURES_TABLE} values (?, ?, ?)",
            [request.request_id, datetime.now(UTC).replace(tzinfo=None), deleted],
        )
        connection.execute("commit")
    rewrite(paths.warehouse)
    return deleted


def erase_from_serving(paths: FunnelPaths, request: ErasureRequest) -> int:
    """Delete the person's rows from the published file, in a copy swapped in whole (readers
    see the publication before or after, never between). Rows deleted."""
    if not paths.serving.exists():
        return 0
    working = paths.serving.with_name(f".{paths.serving.name}.{uuid.uuid4().hex}.{LEFTOVER_SUFFIX}")
    shutil.copyfile(paths.serving, working)
    try:
        with duckdb.connect(str(working)) as connection:
            deleted = _delete_person(connection, request)
            if deleted and table_exists(connection, "main.published_tables"):
                for schema, table in connection.execute(
                    "select table_schema, table_name from main.published_tables"
                ).fetchall():
                    connection.execute(
                        "update main.published_tables set fingerprint = null, row_count ="
                        f' (select count(*) from "{schema}"."{table}")'
                        " where table_schema = ? and table_name = ?",
                        [schema, table],
                    )
        if deleted:
            rewrite(working)  # the deleted rows' bytes go with the copy's free blocks
            os.replace(working, paths.serving)
            fsync_path(paths.serving.parent)
        return deleted
    finally:
        working.unlink(missing_ok=True)


def _redact_text(text: str, identifiers: list[str]) -> str:
    for identifier in sorted(identifiers, key=len, reverse=True):
        for form in {identifier, json.dumps(identifier)[1:-1], quote(identifier, safe="")}:
            text = re.sub(re.escape(form), REDACTED, text, flags=re.IGNORECASE)
    return text


def redact_sqlite(path: Path, identifiers: list[str]) -> int:
    """Redact the identifiers in every text value of a SQLite database (Dagster's run and event
    storage), then VACUUM it so no free page keeps the old values. Values changed."""
    changed = 0
    lowered = [i.lower() for i in identifiers]
    connection = sqlite3.connect(path)
    try:
        connection.create_function(
            "holds", 1, lambda v: int(isinstance(v, str) and any(i in v.lower() for i in lowered))
        )
        tables = [
            row[0]
            for row in connection.execute("select name from sqlite_master where type = 'table'")
        ]
        for table in tables:
            columns = [row[1] for row in connection.execute(f'pragma table_info("{table}")')]
            for column in columns:
                rows = connection.execute(
                    f'select rowid, "{column}" from "{table}" where holds("{column}")'
                ).fetchall()
                for rowid, value in rows:
                    connection.execute(
                        f'update "{table}" set "{column}" = ? where rowid = ?',
                        [_redact_text(value, identifiers), rowid],
                    )
                changed += len(rows)
        connection.commit()
        if changed:
            connection.execute("vacuum")
    finally:
        connection.close()
    return changed


def redact_file(path: Path, identifiers: list[str]) -> bool:
    """Redact the identifiers in a text file, rewritten whole; False when not text."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    redacted = _redact_text(text, identifiers)
    if redacted != text:
        _replace_file(path, redacted.encode("utf-8"))
    return True


def erase_elsewhere(paths: FunnelPaths, request: ErasureRequest) -> None:
    """Everything that is neither landing nor a DuckDB database: rebuilt data removed, Dagster's
    SQLite storage and every text file redacted."""
    forms = needle_forms(request.identifiers)
    # rebuilt from the warehouse by the next run that needs them
    shutil.rmtree(paths.tmp, ignore_errors=True)
    lake = paths.home / "lake"
    if lake.exists():
        for file in lake.rglob("*.parquet"):
            if _rewrite_parquet(file, request)[0]:  # the next Spark run writes it again anyway
                file.unlink()
    spark = paths.home / "spark"
    for built in ("warehouse", "metastore_db"):
        if (spark / built).exists() and any(
            file_holds(f, forms) or f.suffix == ".parquet"
            for f in (spark / built).rglob("*")
            if f.is_file()
        ):
            shutil.rmtree(spark / built)
    skip = {paths.landing, erasures_dir(paths)}
    for path in sorted(paths.home.rglob("*")):
        if not path.is_file() or any(s in path.parents for s in skip):
            continue
        if path.suffix in DUCKDB_SUFFIXES or not file_holds(path, forms):
            continue
        if path.suffix in SQLITE_SUFFIXES or path.read_bytes()[:16] == b"SQLite format 3\x00":
            redact_sqlite(path, request.identifiers)
        elif not redact_file(path, request.identifiers):
            path.unlink()  # a binary file holding them that nothing here can rewrite


# -- the whole erasure ----------------------------------------------------------------------------


@dataclass
class ErasureResult:
    request: ErasureRequest
    warehouse_rows: int
    serving_rows: int
    landing_files: int


def _remove_leftovers(paths: FunnelPaths) -> None:
    """The temporary files of an erasure a crash interrupted (a copy of the published file
    still holding the person, a landing file half written)."""
    for leftover in paths.home.rglob(f".*.{LEFTOVER_SUFFIX}*"):
        leftover.unlink()


def carry_out(paths: FunnelPaths, request: ErasureRequest) -> ErasureResult:
    """Steps 2-8 of the module's docstring, each safe to run again after a crash."""
    _remove_leftovers(paths)
    Suppression(paths.home / PRIVACY_FOLDER).add(
        {EMAIL: request.emails, CONTACT_ID: request.contact_ids}, reason=ERASED
    )
    request.landing_rewritten = erase_from_landing(paths, request)
    save_request(paths, request)  # the rewritten files' hashes, before the manifest is told
    warehouse_rows = erase_from_warehouse(paths, request)
    serving_rows = erase_from_serving(paths, request)
    erase_elsewhere(paths, request)
    left = traces(paths.home, request.identifiers)
    if left:
        raise ErasureIncomplete(
            "identifiers of the person remain in: " + ", ".join(str(p) for p in left)
        )
    (erasures_dir(paths) / f"{request.request_id}.json").unlink()
    fsync_path(erasures_dir(paths))
    return ErasureResult(request, warehouse_rows, serving_rows, len(request.landing_rewritten))


def erase_person(
    paths: FunnelPaths, *, email: str | None = None, contact_id: str | None = None
) -> ErasureResult | None:
    """Plan and carry out the erasure of the person an email or contact id names; None when
    nothing holds them. Call with the home's lock held.

    A person erased before holds no row of the warehouse, but a file delivered since may hold
    them (its rows quarantined as suppressed): the erasure then removes them from the files, by
    the email or id asked for."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        request = plan_erasure(connection, email=email, contact_id=contact_id)
    if request is None:
        request = _suppressed_request(paths, email=email, contact_id=contact_id)
        if request is None:
            return None
    save_request(paths, request)
    return carry_out(paths, request)


def _suppressed_request(
    paths: FunnelPaths, *, email: str | None, contact_id: str | None
) -> ErasureRequest | None:
    """The request for a person on the suppression list, by what was asked alone."""
    suppression = Suppression(paths.home / PRIVACY_FOLDER)
    if not suppression.list_path.exists():
        return None
    kind, value = (EMAIL, email) if email else (CONTACT_ID, contact_id or "")
    if suppression.hash(kind, value) not in suppression.hashes():
        return None
    identifier = suppression.message(kind, value).split(":", 1)[1]
    return ErasureRequest(
        request_id=uuid.uuid4().hex,
        requested_at=datetime.now(UTC).isoformat(),
        contact_ids=[identifier] if kind == CONTACT_ID else [],
        emails=[identifier] if kind == EMAIL else [],
        needles=[identifier],
        values=[],
    )


def resume_erasures(paths: FunnelPaths) -> list[ErasureResult]:
    """Finish the erasures a crash interrupted. Call with the home's lock held."""
    return [carry_out(paths, request) for request in pending_requests(paths)]
