"""A BI-like reader of serving.duckdb, run as its own process by the serving tests.

It opens the published file read-only in a loop (bounded in time and count) and, in each
connection, checks that the snapshot is complete: every table listed in `published_tables` has
the row count recorded at publication, and the funnel tables agree with each other. It writes
what it saw as JSON and never raises: errors are part of what it reports.

    python serving_reader.py SERVING OUT_JSON [--seconds S] [--max-reads N] [--stop-file F]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb


def read_snapshot(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as connection:
        published = connection.execute(
            "select table_schema, table_name, row_count, published_at, run_id"
            " from main.published_tables"
        ).fetchall()
        problems = []
        for schema, table, expected, _, _ in published:
            actual = connection.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            if actual != expected:
                problems.append(f"{schema}.{table}: {actual} rows, {expected} published")
        tables = {table for _, table, *_ in published}
        if {"dim_contacts", "rpt_stage_conversion"} <= tables:
            leads, report_leads = connection.execute(
                "select (select count(lead_at) from marts.dim_contacts),"
                " (select coalesce(sum(leads), 0) from marts.rpt_stage_conversion)"
            ).fetchone()
            if leads != report_leads:
                problems.append(f"{leads} leads in dim_contacts, {report_leads} in the report")
        stamps = {str(row[3]) for row in published}
        return {"published_at": sorted(stamps), "tables": len(published), "problems": problems}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("serving", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-reads", type=int, default=100_000)
    parser.add_argument("--stop-file", type=Path)
    args = parser.parse_args()
    deadline = time.monotonic() + args.seconds
    reads, errors, incomplete, versions, tables = 0, [], [], [], set()
    while time.monotonic() < deadline and reads < args.max_reads:
        if args.stop_file and args.stop_file.exists():
            break
        if not args.serving.exists():
            time.sleep(0.05)
            continue
        try:
            snapshot = read_snapshot(args.serving)
        except Exception as error:  # what a BI tool would see
            errors.append(f"{type(error).__name__}: {error}")
            time.sleep(0.02)
            continue
        reads += 1
        tables.add(snapshot["tables"])
        if len(snapshot["published_at"]) != 1 or snapshot["problems"]:
            incomplete.append(snapshot)
        stamp = snapshot["published_at"][0] if snapshot["published_at"] else None
        if not versions or versions[-1] != stamp:
            versions.append(stamp)
    args.out.write_text(
        json.dumps(
            {
                "reads": reads,
                "errors": errors[:20],
                "error_count": len(errors),
                "incomplete": incomplete[:20],
                "versions": versions,
                "table_counts": sorted(tables),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
