"""Vectorised text rendering: ids, numbers, ISO timestamps, vocabularies, and the bad values.

Every column is written as text (CSV and Parquet alike) so that the Parquet files can carry the
same export quirks and bad values as the CSV ones; blanks are nulls (an unquoted empty CSV field).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.synthetic import _reference as ref

DAY = 86_400
STRING = pa.string()

# Timestamp styles: how a row's instant is spelled; the instant itself never changes.
UTC_Z, NAIVE_UTC, PARIS_OFFSET = 0, 1, 2


def strings(values: Sequence[str]) -> pa.Array:
    return pa.array(list(values), STRING)


def slug(value: str) -> str:
    """ASCII, lower case, no spaces or apostrophes: how a name appears in an email or URL."""
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_value.lower() if ch.isalnum() or ch in "-.")


def pick(values: pa.Array, index: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
    """values[index], null where `blank`."""
    return values.take(pa.array(np.asarray(index, dtype=np.int64), mask=blank))


def blank_where(values: pa.Array, blank: np.ndarray) -> pa.Array:
    if not blank.any():
        return values
    return pc.if_else(pa.array(blank), pa.scalar(None, values.type), values)


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation; a null part makes the result null."""
    return pc.binary_join_element_wise(*parts, "")


def integers(values: np.ndarray, width: int = 0, blank: np.ndarray | None = None) -> pa.Array:
    text = pa.array(np.asarray(values, dtype=np.int64), mask=blank).cast(STRING)
    return pc.utf8_lpad(text, width=width, padding="0") if width else text


def decimals(values: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
    """Shortest round-trip text of already rounded floats ("3.1", "-2", "1250000")."""
    return pa.array(np.asarray(values, dtype=np.float64), mask=blank).cast(STRING)


def identifiers(prefix: str, seed: int, numbers: np.ndarray, width: int) -> pa.Array:
    """`PREFIX-<seed>-<zero padded number>`: the seed keeps two generated bases from colliding."""
    return concat(f"{prefix}-{seed}-", integers(numbers, width))


def id_width(count: int) -> int:
    return max(6, len(str(count * 2 + 1)))


def timestamps(
    seconds: np.ndarray,
    style: np.ndarray,
    millis: np.ndarray | None = None,
    blank: np.ndarray | None = None,
) -> pa.Array:
    """ISO 8601 text of UTC epoch seconds: `...Z`, no offset (UTC by contract) or Paris offset.

    A Paris offset row shows local time with +01:00 (Nov-Mar) or +02:00 (Apr-Oct), so the instant
    is the same whichever style a row gets.
    """
    seconds = np.asarray(seconds, dtype=np.int64)
    month = seconds.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    summer = (month >= 4) & (month <= 10)
    paris = style == PARIS_OFFSET
    local = seconds + np.where(paris, np.where(summer, 7200, 3600), 0)
    text = pa.array(local, mask=blank).cast(pa.timestamp("s")).cast(STRING)
    text = pc.utf8_replace_slice(text, start=10, stop=11, replacement="T")
    suffix_index = np.where(paris, np.where(summer, 3, 2), style)
    suffix = pick(strings(["Z", "", "+01:00", "+02:00"]), suffix_index)
    if millis is None:
        return concat(text, suffix)
    has_millis = millis >= 0
    fraction = pc.if_else(
        pa.array(has_millis),
        concat(".", integers(np.maximum(millis, 0), 3)),
        pa.scalar("", STRING),
    )
    return concat(text, fraction, suffix)


def dates(days: np.ndarray, blank: np.ndarray | None = None) -> pa.Array:
    """ISO dates of days since 1970-01-01."""
    return pa.array(np.asarray(days, dtype=np.int32), mask=blank).cast(pa.date32()).cast(STRING)


def business_time(rng: np.random.Generator, days: np.ndarray, weekday_share: float) -> np.ndarray:
    """Epoch seconds on the given days, mostly in working hours (UTC), weekdays mostly."""
    days = np.asarray(days, dtype=np.int64).copy()
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    move = (weekday >= 5) & (rng.random(days.size) < weekday_share)
    days[move] -= weekday[move] - 4  # back to Friday
    hours_weights = np.array(
        [
            0.2,
            0.1,
            0.1,
            0.1,
            0.2,
            0.5,
            1.5,
            5,
            9,
            10,
            8,
            5,
            6,
            9,
            9,
            8,
            6,
            3,
            1.5,
            1,
            0.8,
            0.6,
            0.4,
            0.3,
        ]
    )
    hour = rng.choice(24, size=days.size, p=hours_weights / hours_weights.sum())
    return days * DAY + hour * 3600 + rng.integers(0, 3600, days.size)


def vocabulary(
    rng: np.random.Generator,
    domain: str,
    codes: np.ndarray,
    variant_share: float,
    blank: np.ndarray | None = None,
) -> pa.Array:
    """Canonical values of `domain` by code, a share of them in a real-export spelling."""
    canonical = ref.CANONICAL[domain]
    variants = ref.VARIANTS[domain]
    flat: list[str] = []
    offsets, counts = [], []
    for value in canonical:
        offsets.append(len(flat))
        spelled = variants.get(value, ())
        counts.append(len(spelled))
        flat.extend((value, *spelled))
    codes = np.asarray(codes, dtype=np.int64)
    n_variants = np.asarray(counts)[codes]
    use = (rng.random(codes.size) < variant_share) & (n_variants > 0)
    which = 1 + np.floor(rng.random(codes.size) * np.maximum(n_variants, 1)).astype(np.int64)
    index = np.asarray(offsets)[codes] + np.where(use, which, 0)
    return pick(strings(flat), index, blank)


def booleans(
    rng: np.random.Generator, values: np.ndarray, variant_share: float, blank: np.ndarray | None
) -> pa.Array:
    return vocabulary(rng, "boolean", np.where(values, 0, 1), variant_share, blank)


def synonyms() -> dict[str, dict[str, str]]:
    return {
        domain: {spelling: value for value, spelled in by_value.items() for spelling in spelled}
        for domain, by_value in ref.VARIANTS.items()
    }


# --- bad values -------------------------------------------------------------------------------

IMPOSSIBLE_DAYS = (
    ("02", "30"),
    ("02", "31"),
    ("04", "31"),
    ("06", "31"),
    ("09", "31"),
    ("11", "31"),
)


def impossible_dates(rng: np.random.Generator, count: int, end: dt.date, with_time: bool) -> list:
    """Dates no calendar has ("2024-02-30", "31/02/2024", month 13): strict parsers reject them."""
    values = []
    for _ in range(count):
        year = int(rng.integers(end.year - 1, end.year + 1))
        month, day = IMPOSSIBLE_DAYS[int(rng.integers(len(IMPOSSIBLE_DAYS)))]
        clock = f"T{int(rng.integers(7, 19)):02d}:{int(rng.integers(60)):02d}:00Z"
        style = int(rng.integers(3))
        if style == 0:
            values.append(f"{year}-{month}-{day}" + (clock if with_time else ""))
        elif style == 1:
            values.append(f"{day}/{month}/{year}")
        else:
            values.append(
                f"{year}-13-{int(rng.integers(1, 29)):02d}" + (clock if with_time else "")
            )
    return values


def out_of_range_dates(rng: np.random.Generator, count: int, end: dt.date, with_time: bool) -> list:
    """Parseable dates before 2000 (default dates of old systems) or after the data's end date."""
    values = []
    for _ in range(count):
        kind = int(rng.integers(4))
        if kind == 0:
            day = dt.date(1970, 1, 1)
        elif kind == 1:
            day = dt.date(1900, 1, 1)
        elif kind == 2:
            day = dt.date(1999, 12, 31) - dt.timedelta(days=int(rng.integers(0, 9000)))
        else:
            day = end + dt.timedelta(days=int(rng.integers(30, 3000)))
        values.append(day.isoformat() + ("T00:00:00Z" if with_time else ""))
    return values


def invalid_emails(rng: np.random.Generator, locals_: list[str], domains: list[str]) -> list:
    """Emails a validity check must reject: no at sign, nothing after it, two at signs, a space."""
    values = []
    for local, domain in zip(locals_, domains, strict=True):
        kind = int(rng.integers(5))
        if kind == 0:
            values.append(f"{local}@")
        elif kind == 1:
            values.append(f"{local}.{domain}")
        elif kind == 2:
            values.append(f"{local}@@{domain}")
        elif kind == 3:
            values.append(f"{local.replace('.', ' ')}@{domain}")
        else:
            values.append(f"{local}@{domain.split('.')[0]}")
    return values


def replace_rows(values: pa.Array, rows: np.ndarray, new_values: Sequence[str | None]) -> pa.Array:
    """Copy of `values` with values[rows] = new_values."""
    if len(rows) == 0:
        return values
    index = np.arange(len(values), dtype=np.int64)
    index[rows] = len(values) + np.arange(len(rows))
    return pa.concat_arrays([values, strings(new_values)]).take(pa.array(index))
