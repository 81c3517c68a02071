"""Synthetic, realistic B2B base for `funnel generate`: the five landing entities of the contract.

`generate()` writes `landing_dir/<entity>/<entity>-<seed>-<part:04d>.<csv|parquet>` for companies,
contacts, engagement_events, sales_activities and opportunities, with exactly the contract's
columns in its order (`orchestration.contract`). Same arguments (seed and end date included) give
byte-identical files; ids carry the seed (`CON-42-000001`) so two seeds never share a key.
Each file is written under a hidden temporary name and renamed into place when complete; it is
then dated the landing's minimum age earlier (`settings.landing_min_age_seconds`), so a
`funnel run` right after `funnel generate` loads it instead of waiting for it (docs/loading.md).

What the data looks like, so that the models have something real to find:
- Every value is written as text (Parquet too); a blank is a null (an unquoted empty CSV field).
- Vocabulary columns mix canonical values with the spellings real exports use ("Form Submission",
  "C-Level", "France", "oui"); `SYNONYMS` lists every non-canonical spelling ever written.
- Timestamps are ISO 8601 instants: `...Z`, no offset (UTC), or Paris local time with +01:00 /
  +02:00; events sometimes carry milliseconds. Dates are ISO.
- Contacts have hidden fit and buying intent: engagement volume and event mix, sales activity,
  qualification and wins all grow with them.
- About 2.5% of contact records are duplicates: another record (appended after the originals) of a
  person who has an email, with a case/whitespace variant of that email ("  Jean.Dupont@Acme.fr "),
  its own created_at/updated_at/lead_source, and one of phone, job_title, linkedin_url,
  company_domain filled in only one of the two records. Events and activities may hit either.

Bad rows: `round(bad_row_share * rows)` rows per entity, kinds split evenly, never a duplicate
contact or its original, counted exactly in `GenerationSummary.bad_rows`; they replace normal rows,
so `rows` stays exact. No bad company or contact receives contacts, events, activities or
opportunities, so the counts below are what the checks will find.
- `invalid_email` (contacts): "jean.dupont@", "jean.dupont.acme.fr", "a@@b.fr", a space, no TLD.
  The row has a company_id, so it loads; quality checks flag it.
- `unknown_contact_id` (engagement_events, sales_activities): a well-formed contact_id that no
  contact has (email blank). Loads; matching checks flag it.
- `impossible_date` (all entities): a timestamp or date no calendar has ("2024-02-30T10:00:00Z",
  "31/02/2024", "2025-13-04"): a strict loader cannot parse it and quarantines the row. These are
  the only unparseable rows: `GenerationSummary.unparseable_rows(entity)`.
- `out_of_range_date` (all entities): parseable but before 2000 (1900-01-01, 1970-01-01, ...) or
  after the end date. Loads; freshness/validity checks flag it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

from orchestration import contract
from orchestration.settings import landing_min_age_seconds
from orchestration.synthetic import _accounts, _funnel
from orchestration.synthetic import _bad_rows as bad
from orchestration.synthetic import _text as tx

__all__ = ["SYNONYMS", "GenerationSummary", "generate"]

FileFormat = Literal["csv", "parquet"]

SYNONYMS: dict[str, dict[str, str]] = tx.synonyms()
"""Vocabulary domain -> spelling as written in the files -> canonical value."""


@dataclass(frozen=True)
class GenerationSummary:
    """What `generate` wrote: files, exact row counts, and exact bad-row counts per entity."""

    landing_dir: Path
    seed: int
    end_date: dt.date
    file_format: FileFormat
    files: dict[str, list[Path]]
    rows: dict[str, int]
    bad_rows: dict[str, dict[str, int]]
    duplicate_contacts: int = 0
    bytes_written: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def unparseable_rows(self, entity: str) -> int:
        """Rows of `entity` that a strict loader must quarantine (dates no calendar has)."""
        return sum(
            n for kind, n in self.bad_rows.get(entity, {}).items() if kind in bad.UNPARSEABLE_KINDS
        )


def generate(
    landing_dir: Path,
    *,
    contacts: int = 2_000,
    companies: int | None = None,
    events: int | None = None,
    seed: int = 42,
    end_date: dt.date | None = None,
    file_format: FileFormat = "csv",
    bad_row_share: float = 0.01,
    chunk_rows: int = 1_000_000,
    progress: bool = False,
) -> GenerationSummary:
    """Write a synthetic B2B base into `landing_dir` and say exactly what was written.

    `contacts` counts contact records (duplicates included), `companies` defaults to contacts // 5
    and `events` (exactly that many engagement events) to contacts * 20. The data spans about two
    years ending on `end_date` (default today). Refuses to write where files of the same seed
    already are, so a base is never loaded twice by accident.
    """
    landing_dir = Path(landing_dir)
    companies = max(1, contacts // 5) if companies is None else companies
    events = contacts * 20 if events is None else events
    end_date = dt.date.today() if end_date is None else end_date
    _validate(contacts, companies, events, seed, file_format, bad_row_share, chunk_rows)
    _refuse_existing(landing_dir, seed)

    timeline = _accounts.Timeline.ending(end_date)
    writer = _Writer(landing_dir, seed, file_format, chunk_rows)

    def rng(*stream: int) -> np.random.Generator:
        return np.random.default_rng([seed, *stream])

    total = companies + contacts + events  # sales rows are added once known
    with tqdm(total=total, unit="rows", unit_scale=True, disable=not progress) as bar:
        writer.bar = bar
        bar.set_description("companies")
        started = time.perf_counter()
        company_base = _accounts.make_companies(rng(1), companies, seed, timeline, bad_row_share)
        writer.write_table("companies", company_base.table, started)

        bar.set_description("contacts")
        started = time.perf_counter()
        contact_base = _accounts.make_contacts(
            rng(2), contacts, seed, timeline, bad_row_share, company_base
        )
        writer.write_table("contacts", contact_base.table, started)

        bar.set_description("sales")
        started = time.perf_counter()
        engagement = _funnel.plan_engagement(rng(3), contact_base, timeline, events)
        sales = _funnel.make_sales(
            rng(4), contact_base, company_base, engagement, timeline, seed, bad_row_share
        )
        bar.total = total + sales.activities.num_rows + sales.opportunities.num_rows
        bar.refresh()
        writer.write_table("sales_activities", sales.activities, started)
        writer.write_table("opportunities", sales.opportunities, time.perf_counter())

        bar.set_description("engagement_events")
        started = time.perf_counter()
        event_bad = bad.plan(rng(5), "engagement_events", events, bad_row_share)
        chunks = _funnel.event_chunks(
            lambda part: rng(100, part),
            contact_base,
            engagement,
            timeline,
            seed,
            events,
            chunk_rows,
            event_bad,
        )
        writer.write_chunks("engagement_events", chunks, started)

    bad_rows = {
        "companies": company_base.bad.counts(),
        "contacts": contact_base.bad.counts(),
        "engagement_events": event_bad.counts(),
        "sales_activities": sales.activities_bad.counts(),
        "opportunities": sales.opportunities_bad.counts(),
    }
    order = list(contract.ENTITIES)
    return GenerationSummary(
        landing_dir=landing_dir,
        seed=seed,
        end_date=end_date,
        file_format=file_format,
        files={e: writer.files[e] for e in order},
        rows={e: writer.rows[e] for e in order},
        bad_rows={e: bad_rows[e] for e in order},
        duplicate_contacts=contact_base.n_duplicates,
        bytes_written={e: writer.bytes[e] for e in order},
        seconds={e: writer.seconds[e] for e in order},
    )


def _validate(
    contacts: int,
    companies: int,
    events: int,
    seed: int,
    file_format: str,
    bad_row_share: float,
    chunk_rows: int,
) -> None:
    if contacts < 1 or companies < 1:
        raise ValueError("contacts and companies must be at least 1.")
    if events < 0:
        raise ValueError("events must be zero or more.")
    if seed < 0:
        raise ValueError("seed must be zero or a positive integer.")
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', not {file_format!r}.")
    if not 0 <= bad_row_share <= 0.5:
        raise ValueError("bad_row_share must be between 0 (no bad rows) and 0.5.")
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1.")


def _refuse_existing(landing_dir: Path, seed: int) -> None:
    for entity in contract.ENTITIES:
        folder = landing_dir / entity
        existing = sorted(folder.glob(f"{entity}-{seed}-*")) if folder.is_dir() else []
        if existing:
            raise ValueError(
                f"{folder} already holds files generated with seed {seed} "
                f"({existing[0].name}, ...): writing them again would load the same base twice. "
                "Use another seed, or delete that seed's files, or generate into another "
                "landing directory."
            )


class _Writer:
    """Writes entity tables as numbered part files of at most `chunk_rows` rows, atomically each."""

    def __init__(self, landing_dir: Path, seed: int, file_format: FileFormat, chunk_rows: int):
        self.landing_dir = landing_dir
        self.seed = seed
        self.file_format = file_format
        self.chunk_rows = chunk_rows
        self.files: dict[str, list[Path]] = {}
        self.rows: dict[str, int] = {}
        self.bytes: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.bar: tqdm | None = None

    def write_table(self, entity: str, table: pa.Table, started: float) -> None:
        parts = (
            table.slice(offset, self.chunk_rows)
            for offset in range(0, max(table.num_rows, 1), self.chunk_rows)
        )
        self.write_chunks(entity, parts, started)

    def write_chunks(self, entity: str, chunks: Iterable[pa.Table], started: float) -> None:
        folder = self.landing_dir / entity
        folder.mkdir(parents=True, exist_ok=True)
        self.files[entity], self.rows[entity], self.bytes[entity] = [], 0, 0
        for part, chunk in enumerate(chunks):
            path = folder / f"{entity}-{self.seed}-{part:04d}.{self.file_format}"
            temporary = folder / f".{path.name}.tmp"
            _WRITERS[self.file_format](chunk, temporary)
            os.replace(temporary, path)
            _date_as_settled(path)
            self.files[entity].append(path)
            self.rows[entity] += chunk.num_rows
            self.bytes[entity] += path.stat().st_size
            if self.bar is not None:
                self.bar.update(chunk.num_rows)
        self.seconds[entity] = time.perf_counter() - started


def _date_as_settled(path: Path) -> None:
    """Date a complete file the minimum age earlier: the loader takes it without waiting."""
    modified = path.stat().st_mtime - landing_min_age_seconds() - 1
    os.utime(path, (modified, modified))


def _write_csv(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(table, path)


def _write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


_WRITERS: dict[str, Callable[[pa.Table, Path], None]] = {
    "csv": _write_csv,
    "parquet": _write_parquet,
}
