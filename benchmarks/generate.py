"""Benchmark `funnel generate` at scale: wall time per entity, rows/s, bytes written, peak RSS.

.venv/bin/python benchmarks/generate.py  # 1M contacts, 200k companies, 20M events, CSV
.venv/bin/python benchmarks/generate.py --format parquet
.venv/bin/python benchmarks/generate.py --contacts 100000 --events 2000000 --keep /tmp/base
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestration.synthetic import generate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=dt.date(2025, 6, 30))
    parser.add_argument("--progress", action="store_true")
    parser.add_argument(
        "--keep", type=Path, help="write here and keep the files (default: a temp dir)"
    )
    args = parser.parse_args(argv)

    target = args.keep or Path(tempfile.mkdtemp(prefix="funnel-generate-"))
    started = time.perf_counter()
    try:
        summary = generate(
            target,
            contacts=args.contacts,
            companies=args.companies,
            events=args.events,
            seed=args.seed,
            end_date=args.end_date,
            file_format=args.format,
            chunk_rows=args.chunk_rows,
            progress=args.progress,
        )
        total_seconds = time.perf_counter() - started
    finally:
        if args.keep is None:
            shutil.rmtree(target, ignore_errors=True)

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(f"format={args.format} chunk_rows={args.chunk_rows:,} into {target}")
    print(f"{'entity':<20}{'rows':>14}{'files':>7}{'seconds':>10}{'rows/s':>14}{'MiB':>10}")
    for entity, rows in summary.rows.items():
        seconds = summary.seconds[entity]
        mib = summary.bytes_written[entity] / 2**20
        rate = rows / seconds if seconds else float("nan")
        files = len(summary.files[entity])
        print(f"{entity:<20}{rows:>14,}{files:>7}{seconds:>10.1f}{rate:>14,.0f}{mib:>10,.0f}")
    rows = sum(summary.rows.values())
    mib = sum(summary.bytes_written.values()) / 2**20
    rate = rows / total_seconds
    print(f"{'total':<20}{rows:>14,}{'':>7}{total_seconds:>10.1f}{rate:>14,.0f}{mib:>10,.0f}")
    print(f"peak RSS {peak_mib:,.0f} MiB; bad rows {summary.bad_rows}")


if __name__ == "__main__":
    main()
