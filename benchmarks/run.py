"""Benchmark `funnel run` at scale: the time of each step of the Dagster job and of each dbt model.

.venv/bin/python benchmarks/run.py                      # 1M contacts, 200k companies, 20M events
.venv/bin/python benchmarks/run.py --contacts 100000 --events 2000000
.venv/bin/python benchmarks/run.py --home /tmp/big      # reuse (or keep) a FUNNEL_HOME

It generates the base (unless the home's landing folder already has files), then materialises the
same Dagster job `funnel run` does, in-process, and prints the wall time of each step, the slowest
dbt nodes, the rows of the public tables and the peak memory of this process and its children.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    parser.add_argument("--home", type=Path, help="FUNNEL_HOME to use (default: a temp dir)")
    parser.add_argument("--top", type=int, default=12, help="dbt nodes to list (default 12)")
    args = parser.parse_args(argv)

    home = (args.home or Path(tempfile.mkdtemp(prefix="funnel-run-"))).resolve()
    os.environ["FUNNEL_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    from orchestration.cli import _execute, _use_home

    paths = _use_home(str(home))
    if not any(paths.landing.glob("*/*")):
        from orchestration.synthetic import generate

        started = time.perf_counter()
        generate(
            paths.landing,
            contacts=args.contacts,
            companies=args.companies,
            events=args.events,
            end_date=args.as_of,
            progress=True,
        )
        print(f"generate: {time.perf_counter() - started:8.1f} s")

    started = time.perf_counter()
    result = _execute(paths, args.as_of.isoformat())
    total = time.perf_counter() - started
    if not result.success:
        raise SystemExit("the run failed: see the Dagster logs above")

    print(f"\nfunnel run as of {args.as_of} on {home}: {total:.1f} s in all")
    print("\nDagster steps:")
    from dagster import DagsterInstance

    starts: dict[str, float] = {}
    with DagsterInstance.get() as instance:
        for entry in instance.all_logs(result.run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type_value == "STEP_START":
                starts[event.step_key] = entry.timestamp
            elif event.event_type_value == "STEP_SUCCESS":
                seconds = entry.timestamp - starts[event.step_key]
                print(f"  {event.step_key:<40} {seconds:8.1f} s")

    print("\nSlowest dbt nodes (of the dbt step):")
    durations = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_MATERIALIZATION":
            continue
        materialization = event.event_specific_data.materialization
        duration = materialization.metadata.get("Execution Duration")
        if duration is not None:
            durations.append((duration.value, materialization.asset_key.to_user_string()))
    for seconds, key in sorted(durations, reverse=True)[: args.top]:
        print(f"  {key:<58} {seconds:8.1f} s")

    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        print("\nPublic tables:")
        for (table,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " order by 1"
        ).fetchall():
            rows = connection.execute(f"select count(*) from marts.{table}").fetchone()[0]
            print(f"  marts.{table:<40} {rows:>14,}")
    size = paths.warehouse.stat().st_size / 2**30
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    print(f"\nwarehouse.duckdb {size:.2f} GiB; peak RSS {own:.2f} GiB here, {children:.2f} GiB dbt")


if __name__ == "__main__":
    main()
