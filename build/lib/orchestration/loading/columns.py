"""A file's header matched to the contract: which file column feeds which raw column."""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestration.contract import Entity
from orchestration.loading.outcomes import FileRejected
from orchestration.loading.reasons import name_list


def normalize_column_name(name: str, position: int) -> str:
    """Header names match the contract case- and space-insensitively (` First Name`: first_name).

    Leading underscores go, so an extra column never collides with the lineage columns (`_...`).
    """
    cleaned = re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower()).strip("_")
    return cleaned or f"column_{position + 1}"


@dataclass(frozen=True)
class ColumnMap:
    """How a file's columns (by position) feed the raw table."""

    source_names: tuple[str, ...]  # as written in the file, for the quarantine's raw record
    contract: dict[str, int]  # contract column name -> source position
    extras: dict[str, int]  # extra raw column name -> source position


def required_names(entity: Entity, present: set[str] | None = None) -> list[str]:
    """The required columns (and groups of which one is required) not in `present`."""
    present = present or set()
    missing = [n for n in entity.required if n not in present]
    return missing + [
        " or ".join(g) for g in entity.required_one_of if not any(n in present for n in g)
    ]


def map_columns(entity: Entity, names: list[str]) -> ColumnMap:
    """Match a header to the contract; raises FileRejected when a required column is missing."""
    normalized = [normalize_column_name(n, i) for i, n in enumerate(names)]
    duplicates = sorted({n for n in normalized if normalized.count(n) > 1})
    if duplicates:
        raise FileRejected(
            f"duplicate column name(s) in the header: {name_list(duplicates)}; rename them so"
            " each column is named once"
        )
    position = {n: i for i, n in enumerate(normalized)}
    missing = required_names(entity, set(position))
    if missing:
        raise FileRejected(
            f"missing required column(s): {', '.join(missing)}. The file has: "
            f"{name_list(normalized)}. Add the column(s) and drop the file again"
        )
    contract_names = set(entity.column_names)
    return ColumnMap(
        source_names=tuple(n.strip() or normalized[i] for i, n in enumerate(names)),
        contract={n: i for n, i in position.items() if n in contract_names},
        extras={n: i for n, i in position.items() if n not in contract_names},
    )
