"""From staged text to typed raw rows and quarantine.

Every value is parsed to its contract type in SQL (`parse_expression`); a row with a value that
does not parse, or without a required value, goes to the quarantine with its reasons, the others
to the entity's raw table with their lineage columns.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.contract import ColumnKind, Entity
from orchestration.loading.columns import ColumnMap
from orchestration.loading.readers import BROKEN, SRC, Staged
from orchestration.loading.reasons import REASON_MAX_CHARS
from orchestration.loading.sql import literal, quote
from orchestration.loading.tables import (
    DUCKDB_TYPES,
    MISSING_REQUIRED_VALUE,
    QUARANTINE_TABLE,
    UNPARSEABLE_VALUE,
    ensure_raw_table,
    raw_table,
    utc_now,
)

SHOWN_VALUE_CHARS = 40  # of a value that does not parse, in its quarantine reason
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


def _problems(entity: Entity, columns: ColumnMap) -> list[tuple[str, str, str]]:
    """(kind, condition, message) SQL for every way a row of this file can fail the contract.

    Conditions refer to the parsed value by its contract name (a lateral alias in DuckDB), so each
    value is parsed once.
    """
    problems = []
    for column in entity.columns:
        if column.name not in columns.contract:
            continue
        text = f"nullif(trim(c{columns.contract[column.name]}), '')"
        if column.name in entity.required:
            message = literal(f"missing required value: {column.name}")
            problems.append((MISSING_REQUIRED_VALUE, f"{text} is null", message))
        if column.kind != "string":
            parsed = quote(column.name)
            message = f"'cannot parse {column.name} as {column.kind}: ' || {_shown(text)}"
            problems.append(
                (UNPARSEABLE_VALUE, f"{text} is not null and {parsed} is null", message)
            )
    for group in entity.required_one_of:
        present = [columns.contract[n] for n in group if n in columns.contract]
        blank = " and ".join(f"nullif(trim(c{i}), '') is null" for i in present)
        message = literal(f"missing required value: {' or '.join(group)} (at least one)")
        problems.append((MISSING_REQUIRED_VALUE, blank, message))
    return problems


def insert_staged(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    staged: Staged,
    columns: ColumnMap,
    load_id: str,
    path: Path,
) -> tuple[int, int]:
    """Typed rows into the raw table, the others into quarantine; (loaded, quarantined)."""
    ensure_raw_table(connection, entity, columns.extras)
    problems = _problems(entity, columns)
    reasons = ", ".join(f"case when {cond} then {message} end" for _, cond, message in problems)
    kinds = ", ".join(f"case when {cond} then '{kind}' end" for kind, cond, _ in problems)
    record = ", ".join(f"{literal(name)}, c{i}" for i, name in enumerate(columns.source_names))
    selected = []
    for column in entity.columns:
        if column.name in columns.contract:
            text = f"nullif(trim(c{columns.contract[column.name]}), '')"
            selected.append(f"{parse_expression(text, column.kind)} as {quote(column.name)}")
        else:
            selected.append(f"cast(null as {DUCKDB_TYPES[column.kind]}) as {quote(column.name)}")
    selected += [f"c{i} as {quote(name)}" for name, i in columns.extras.items()]
    connection.execute(
        f"""
        create or replace temp table _loading_checked as
        select
            {staged.line_sql} as _line_number,
            {", ".join(selected)},
            {_one_line_sql(f"nullif(concat_ws('; ', {reasons}), '')") if problems else "null"}
                as _reason,
            {f"coalesce({kinds})" if problems else "null"} as _reason_kind,
            case when _reason is not null then json_object({record})::varchar end as _raw_record
        from {SRC}
        """
    )
    targets = ", ".join(quote(n) for n in [*entity.column_names, *columns.extras])
    now = utc_now()
    connection.execute(
        f"""
        insert into {raw_table(entity)} ({targets}, _load_id, _file_path, _line_number, _loaded_at)
        select {targets}, ?, ?, _line_number, ? from _loading_checked where _reason is null
        """,
        [load_id, str(path), now],
    )
    quarantine = (
        "insert into {table} (load_id, entity, file_path, line_number, reason_kind, reason,"
        " raw_record, quarantined_at) select ?, ?, ?, {columns}, ? from {source}"
    )
    connection.execute(
        quarantine.format(
            table=QUARANTINE_TABLE,
            columns="_line_number, _reason_kind, _reason, _raw_record",
            source="_loading_checked where _reason is not null",
        ),
        [load_id, entity.name, str(path), now],
    )
    connection.execute(
        quarantine.format(
            table=QUARANTINE_TABLE,
            columns="line_number, reason_kind, reason, raw_record",
            source=BROKEN,
        ),
        [load_id, entity.name, str(path), now],
    )
    loaded, invalid = connection.execute(
        "select count(*) filter (where _reason is null), count(_reason) from _loading_checked"
    ).fetchone()
    broken = connection.execute(f"select count(*) from {BROKEN}").fetchone()[0]
    for table in ("_loading_checked", SRC, BROKEN):
        connection.execute(f"drop table if exists {table}")
    return loaded, invalid + broken
