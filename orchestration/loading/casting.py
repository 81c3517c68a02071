"""From staged text to typed raw rows and quarantine.

Every value is parsed to its contract type in SQL (`parse_expression`); a row with a value that
does not parse, or without a required value, goes to the quarantine with its reasons, the others
to the entity's raw table with their lineage columns. Values are parsed and reasons found while
the file is staged (`checked_columns`, one statement with the read), so the file's rows are
copied once into the staged table and once into the raw table or the quarantine.

The suppression list (`privacy/suppression.py`) is matched against each file's distinct emails
and contact ids, each hashed once: the rows of people erased are quarantined, the contact ids of
people who opted out recorded.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.contract import CONTACTS, Column, ColumnKind, Entity
from orchestration.loading.columns import ColumnMap
from orchestration.loading.readers import BROKEN, SRC, Staged
from orchestration.loading.reasons import REASON_MAX_CHARS
from orchestration.loading.sql import literal, quote
from orchestration.loading.tables import (
    DUCKDB_TYPES,
    MISSING_REQUIRED_VALUE,
    OPTED_OUT_CONTACTS_TABLE,
    QUARANTINE_TABLE,
    SUPPRESSED,
    UNPARSEABLE_VALUE,
    ensure_raw_table,
    raw_table,
    utc_now,
)
from orchestration.privacy.suppression import (
    CONTACT_ID,
    EMAIL,
    ERASED_HASHES,
    OPTED_OUT,
    OPTED_OUT_HASHES,
    Suppression,
)

SHOWN_VALUE_CHARS = 40  # of a value that does not parse, in its quarantine reason
OPTED_OUT_COLUMN = "opted_out"  # of contacts
# the staged file's distinct trimmed emails and contact ids, with their keyed hashes
STAGED_HASHES = "staged_hashes"
TRUE_WORDS = ("true", "t", "1", "yes", "y", "oui", "vrai")
FALSE_WORDS = ("false", "f", "0", "no", "n", "non", "faux")


def parse_expression(text: str, kind: ColumnKind) -> str:
    """SQL that parses a text value to the contract type, null when it cannot.

    `text` is already trimmed and null when blank. Timestamps without an offset are UTC; slash
    dates are day first (French exports).
    """
    if kind == "string":
        return text
    if kind == "integer":
        return f"try_cast(regexp_replace({text}, '[\\s\u00a0]', '', 'g') as bigint)"
    if kind == "decimal":
        # "1 234,5" (French) and "1,234.5" (English) both read as 1234.5.
        compact = f"regexp_replace({text}, '[\\s\u00a0]', '', 'g')"
        return (
            f"try_cast(case when contains({compact}, '.') then replace({compact}, ',', '')"
            f" else replace({compact}, ',', '.') end as double)"
        )
    if kind == "boolean":
        truthy = ", ".join(literal(w) for w in TRUE_WORDS)
        falsy = ", ".join(literal(w) for w in FALSE_WORDS)
        return (
            f"case when lower({text}) in ({truthy}) then true"
            f" when lower({text}) in ({falsy}) then false end"
        )
    if kind == "date":
        return f"coalesce(try_cast({text} as date), cast(try_strptime({text}, '%d/%m/%Y') as date))"
    if kind == "timestamp":
        return (
            f"coalesce(try_cast({text} as timestamptz) at time zone 'UTC',"
            f" try_strptime({text}, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y']))"
        )
    raise ValueError(f"unknown column kind {kind!r}")


def _shown(text: str) -> str:
    """SQL for a value as a reason shows it: on one line, cut after `SHOWN_VALUE_CHARS`."""
    flat = f"regexp_replace({text}, '[\\s[:cntrl:]]+', ' ', 'g')"
    return (
        f"case when length({flat}) > {SHOWN_VALUE_CHARS}"
        f" then left({flat}, {SHOWN_VALUE_CHARS}) || '…' else {flat} end"
    )


def _one_line_sql(reason: str) -> str:
    """SQL cutting a row's reason (all its problems) to fewer than REASON_MAX_CHARS."""
    return (
        f"case when length({reason}) >= {REASON_MAX_CHARS}"
        f" then left({reason}, {REASON_MAX_CHARS - 2}) || '…' else {reason} end"
    )


def _parsed(position: int) -> str:
    """The staged name of a parsed contract value (file columns are named c<i>, never _p<i>)."""
    return f"_p{position}"


def _text(columns: ColumnMap, name: str) -> str:
    """SQL for a contract column's staged text, trimmed, null when blank."""
    return f"nullif(trim(c{columns.contract[name]}), '')"


def _problems(entity: Entity, columns: ColumnMap) -> list[tuple[str, str, str]]:
    """(kind, condition, message) SQL for every way a row of this file can fail the contract.

    Conditions refer to the parsed values by their staged names (a lateral alias in DuckDB), so
    each value is parsed once.
    """
    problems = []
    for position, column in enumerate(entity.columns):
        if column.name not in columns.contract:
            continue
        text = _text(columns, column.name)
        if column.name in entity.required:
            message = literal(f"missing required value: {column.name}")
            problems.append((MISSING_REQUIRED_VALUE, f"{text} is null", message))
        if column.kind != "string":
            message = f"'cannot parse {column.name} as {column.kind}: ' || {_shown(text)}"
            condition = f"{text} is not null and {_parsed(position)} is null"
            problems.append((UNPARSEABLE_VALUE, condition, message))
    for group in entity.required_one_of:
        present = [columns.contract[n] for n in group if n in columns.contract]
        blank = " and ".join(f"nullif(trim(c{i}), '') is null" for i in present)
        message = literal(f"missing required value: {' or '.join(group)} (at least one)")
        problems.append((MISSING_REQUIRED_VALUE, blank, message))
    return problems


def _is_parsed(column: Column, columns: ColumnMap) -> bool:
    """Whether a contract value is parsed while staged: typed and present in the file (text is
    only trimmed, on its way to the raw table)."""
    return column.kind != "string" and column.name in columns.contract


def checked_columns(entity: Entity, columns: ColumnMap) -> str:
    """Select items computed from a file's text columns (c0..cN) as it is staged: each typed
    contract value parsed (`_p<position>`), and the row's reasons (`_reason`, `_reason_kind`,
    null when the row is good)."""
    items = []
    for position, column in enumerate(entity.columns):
        if _is_parsed(column, columns):
            expression = parse_expression(_text(columns, column.name), column.kind)
            items.append(f"{expression} as {_parsed(position)}")
    problems = _problems(entity, columns)
    if problems:
        reasons = ", ".join(f"case when {cond} then {message} end" for _, cond, message in problems)
        kinds = ", ".join(f"case when {cond} then '{kind}' end" for kind, cond, _ in problems)
        reason = _one_line_sql(f"nullif(concat_ws('; ', {reasons}), '')")
        items.append(f"{reason} as _reason")
        items.append(f"coalesce({kinds}) as _reason_kind")
    else:
        items += ["cast(null as varchar) as _reason", "cast(null as varchar) as _reason_kind"]
    return ", ".join(items)


QUARANTINE_INSERT = (
    "insert into {table} (load_id, entity, file_path, line_number, reason_kind, reason,"
    " raw_record, quarantined_at) select ?, ?, ?, {columns}, ? from {source}"
)


def _exists(connection: duckdb.DuckDBPyConnection, query: str) -> bool:
    [found] = connection.execute(f"select exists ({query})").fetchone()
    return found


def _identifier_kinds(columns: ColumnMap) -> list[str]:
    """The identifiers the suppression list knows (email, contact id) that the file holds."""
    return [kind for kind in (EMAIL, CONTACT_ID) if kind in columns.contract]


def _opted_out_flag(entity: Entity, columns: ColumnMap) -> str | None:
    """The staged name of a contact file's parsed `opted_out` (None: no such column)."""
    if entity.name != CONTACTS.name or OPTED_OUT_COLUMN not in columns.contract:
        return None
    return _parsed(entity.column_names.index(OPTED_OUT_COLUMN))


def hash_staged_identifiers(
    connection: duckdb.DuckDBPyConnection, columns: ColumnMap, suppression: Suppression
) -> None:
    """The staged file's distinct trimmed emails and contact ids with their keyed hashes, as the
    temp table `staged_hashes`: each value is hashed once however many rows hold it (20 M events
    name far fewer people), read in one pass over the staged rows."""
    kinds = _identifier_kinds(columns)
    identifiers = ", ".join(f"{_text(columns, kind)} as {kind}" for kind in kinds)
    hashes = " ".join(
        f"when '{kind}' then {suppression.hash_sql(kind, 'identifier')}" for kind in kinds
    )
    connection.execute(
        f"""
        create or replace temp table {STAGED_HASHES} as
        select kind, identifier, case kind {hashes} end as hmac
        from (
            select distinct kind, identifier
            from (unpivot (select {identifiers} from {SRC}) on {", ".join(kinds)}
                into name kind value identifier)
        )
        """
    )


def _listed(columns: ColumnMap, hashes_table: str) -> str:
    """SQL true on a staged row whose email or contact id has its hash in `hashes_table`: the
    hashes of `staged_hashes`, joined back by the trimmed value."""
    return " or ".join(
        f"{_text(columns, kind)} in (select identifier from {STAGED_HASHES}"
        f" where kind = '{kind}' and hmac in (select hmac from {hashes_table}))"
        for kind in _identifier_kinds(columns)
    )


SUPPRESSED_REASON = f"{SUPPRESSED}: a person erased from this warehouse (funnel forget)"


def suppress(connection: duckdb.DuckDBPyConnection, columns: ColumnMap) -> None:
    """Mark the staged rows of people listed as erased (by the keyed hash of their email or
    contact id, in `staged_hashes`) to be quarantined as `suppressed`, whatever else they hold."""
    connection.execute(
        f"update {SRC} set _reason = {literal(SUPPRESSED_REASON)},"
        f" _reason_kind = '{SUPPRESSED}' where {_listed(columns, ERASED_HASHES)}"
    )


def record_opt_outs(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    columns: ColumnMap,
    suppression: Suppression,
    load_id: str,
    now: datetime,
) -> None:
    """List the people whose loaded contact rows say they opted out (the hashes of their emails
    and contact ids, written before the load commits: a crash after it leaves hashes of rows
    never loaded, harmless, where the reverse would lose an opt-out); then record, once each,
    the contact ids of the loaded rows of every person listed as opted out, whatever the row
    says."""
    loaded = f"{SRC} where _reason is null"
    opted_out = _opted_out_flag(entity, columns)
    if opted_out is not None:
        own = " or ".join(
            f"(kind = '{kind}' and identifier in"
            f" (select {_text(columns, kind)} from {loaded} and {opted_out}))"
            for kind in _identifier_kinds(columns)
        )
        new = {
            hmac
            for (hmac,) in connection.execute(
                f"select distinct hmac from {STAGED_HASHES} where ({own})"
                f" and hmac not in (select hmac from {OPTED_OUT_HASHES})"
                f" and hmac not in (select hmac from {ERASED_HASHES})"
            ).fetchall()
        }
        if new:
            suppression.add_hashes(new, OPTED_OUT)
            connection.execute(f"insert into {OPTED_OUT_HASHES} select unnest(?)", [sorted(new)])
    contact_id = _text(columns, CONTACT_ID)
    connection.execute(
        f"""
        insert into {OPTED_OUT_CONTACTS_TABLE} (contact_id, load_id, listed_at)
        select distinct {contact_id}, ?, ? from {loaded}
            and ({_listed(columns, OPTED_OUT_HASHES)})
            and {contact_id} not in (select contact_id from {OPTED_OUT_CONTACTS_TABLE})
        """,
        [load_id, now],
    )


def screen_listed_people(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    columns: ColumnMap,
    suppression: Suppression,
    load_id: str,
    now: datetime,
) -> None:
    """What the suppression list (registered on the connection) does to a staged file: the rows
    of people erased quarantined; for contacts, the file's opt-outs listed and the contact ids of
    people listed as opted out recorded. A file nobody on the list or opting out can be in
    hashes nothing (events, while no one is erased)."""
    if not _identifier_kinds(columns):
        return
    erased = _exists(connection, f"from {ERASED_HASHES}")
    records_opt_outs = entity.name == CONTACTS.name and CONTACT_ID in columns.contract
    if records_opt_outs:
        opted_out = _opted_out_flag(entity, columns)
        records_opt_outs = _exists(connection, f"from {OPTED_OUT_HASHES}") or (
            opted_out is not None
            and _exists(connection, f"from {SRC} where _reason is null and {opted_out}")
        )
    if not erased and not records_opt_outs:
        return
    hash_staged_identifiers(connection, columns, suppression)
    if erased:
        suppress(connection, columns)
    if records_opt_outs:
        record_opt_outs(connection, entity, columns, suppression, load_id, now)
    connection.execute(f"drop table {STAGED_HASHES}")


def insert_staged(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    staged: Staged,
    columns: ColumnMap,
    load_id: str,
    path: Path,
    suppression: Suppression | None = None,
) -> tuple[int, int]:
    """Typed rows into the raw table, the others into quarantine; (loaded, quarantined).

    The staged table already holds each row's parsed values and reasons (`checked_columns`):
    the good rows are copied to the raw table and the others to the quarantine, each once. With
    a `suppression` list (registered on the connection), the rows of people erased are
    quarantined without their values, and contact rows of people who opted out recorded
    (`screen_listed_people`).
    """
    now = utc_now()
    if suppression is not None:
        screen_listed_people(connection, entity, columns, suppression, load_id, now)
    ensure_raw_table(connection, entity, columns.extras)
    targets = ", ".join(quote(n) for n in [*entity.column_names, *columns.extras])
    values = [
        _parsed(position)
        if _is_parsed(column, columns)
        else _text(columns, column.name)
        if column.name in columns.contract
        else f"cast(null as {DUCKDB_TYPES[column.kind]})"
        for position, column in enumerate(entity.columns)
    ]
    values += [f"c{i}" for i in columns.extras.values()]
    [loaded] = connection.execute(
        f"""
        insert into {raw_table(entity)} ({targets}, _load_id, _file_path, _line_number, _loaded_at)
        select {", ".join(values)}, ?, ?, {staged.line_sql}, ? from {SRC} where _reason is null
        """,
        [load_id, str(path), now],
    ).fetchone()
    record = ", ".join(f"{literal(name)}, c{i}" for i, name in enumerate(columns.source_names))
    [invalid] = connection.execute(
        QUARANTINE_INSERT.format(
            table=QUARANTINE_TABLE,
            columns=(
                f"{staged.line_sql}, _reason_kind, _reason, case when _reason_kind ="
                f" '{SUPPRESSED}' then '{{}}' else json_object({record})::varchar end"
            ),
            source=f"{SRC} where _reason is not null",
        ),
        [load_id, entity.name, str(path), now],
    ).fetchone()
    [broken] = connection.execute(
        QUARANTINE_INSERT.format(
            table=QUARANTINE_TABLE,
            columns="line_number, reason_kind, reason, raw_record",
            source=BROKEN,
        ),
        [load_id, entity.name, str(path), now],
    ).fetchone()
    for table in (SRC, BROKEN):
        connection.execute(f"drop table if exists {table}")
    return loaded, invalid + broken
