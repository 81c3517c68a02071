"""Which rows of an entity are deliberately bad, and of which kind.

Kinds (see the package docstring): `invalid_email`, `unknown_contact_id`, `out_of_range_date` are
loaded and found later by quality checks; `impossible_date` cannot be parsed and is quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INVALID_EMAIL = "invalid_email"
UNKNOWN_CONTACT_ID = "unknown_contact_id"
IMPOSSIBLE_DATE = "impossible_date"
OUT_OF_RANGE_DATE = "out_of_range_date"
UNPARSEABLE_KINDS = frozenset({IMPOSSIBLE_DATE})

KINDS_BY_ENTITY: dict[str, tuple[str, ...]] = {
    "companies": (IMPOSSIBLE_DATE, OUT_OF_RANGE_DATE),
    "contacts": (INVALID_EMAIL, IMPOSSIBLE_DATE, OUT_OF_RANGE_DATE),
    "engagement_events": (UNKNOWN_CONTACT_ID, IMPOSSIBLE_DATE, OUT_OF_RANGE_DATE),
    "sales_activities": (UNKNOWN_CONTACT_ID, IMPOSSIBLE_DATE, OUT_OF_RANGE_DATE),
    "opportunities": (IMPOSSIBLE_DATE, OUT_OF_RANGE_DATE),
}


@dataclass(frozen=True)
class BadRows:
    """Sorted row positions and, for each, the index of its kind in `kinds`."""

    kinds: tuple[str, ...]
    rows: np.ndarray
    kind: np.ndarray

    def rows_of(self, name: str) -> np.ndarray:
        return self.rows[self.kind == self.kinds.index(name)]

    def counts(self) -> dict[str, int]:
        return {name: int((self.kind == i).sum()) for i, name in enumerate(self.kinds)}

    def mask(self, n_rows: int) -> np.ndarray:
        mask = np.zeros(n_rows, dtype=bool)
        mask[self.rows] = True
        return mask


def plan(
    rng: np.random.Generator,
    entity: str,
    n_rows: int,
    share: float,
    eligible: np.ndarray | None = None,
) -> BadRows:
    """round(share * n_rows) bad rows among the eligible ones, kinds split evenly."""
    kinds = KINDS_BY_ENTITY[entity]
    candidates = n_rows if eligible is None else np.flatnonzero(eligible)
    available = n_rows if eligible is None else candidates.size
    count = min(round(share * n_rows), available)
    rows = (
        np.sort(rng.choice(candidates, size=count, replace=False)) if count else np.array([], int)
    )
    kind = rng.permutation(np.resize(np.arange(len(kinds)), count)) if count else np.array([], int)
    return BadRows(kinds, rows.astype(np.int64), kind.astype(np.int64))
