"""DuckDB against Spark: `funnel run` on the same bases on each engine, step by step.

.venv/bin/python benchmarks/spark.py                         # 20,000 and 100,000 contacts
.venv/bin/python benchmarks/spark.py --contacts 1000 5000 --home /tmp/spark-bench

For each base size it generates a base (seed 42, up to --as-of), copies its landing folder into
a second home, runs `funnel run` on one and `funnel run --engine spark` on the other, each from
an empty warehouse in a process of its own, and prints every Dagster step's time on both
engines; the Spark build's step is split into the raw lake's sync, the dbt build on Spark and
the copy of the public tables back (from the step's log). Needs the Spark environment
(`make spark-setup`).

From two sizes or more it fits each engine's dbt step as a fixed cost plus a cost per contact
(least squares), and prints from which base size Spark on a cluster of n machines like this one
would build faster than DuckDB on this one, assuming Spark's cost per contact divides by n and
its fixed cost does not: an estimate from what was measured, not a measurement of a cluster.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from overhead import run_funnel

DBT_STEP = "funnel_dbt_assets"
COPY_SECONDS = re.compile(r"copied from Spark in ([0-9.]+) s")
CLUSTER_SIZES = (4, 16, 64)


def step_seconds(home: Path) -> dict[str, float]:
    """The latest run's Dagster steps and their times; the dbt step on Spark also split into
    `lake sync`, `dbt on Spark` and `copy back` from its log messages."""
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    from dagster import DagsterEventType, DagsterInstance

    steps: dict[str, float] = {}
    starts: dict[str, float] = {}
    marks: dict[str, float] = {}
    with DagsterInstance.get() as instance:
        run_id = instance.get_runs(limit=1)[0].run_id
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None:
                if entry.step_key == DBT_STEP and entry.user_message.startswith("Raw lake"):
                    marks["lake"] = entry.timestamp
                elif entry.step_key == DBT_STEP and entry.user_message.startswith("Public tables"):
                    marks["copied"] = entry.timestamp
                    marks["copy"] = float(COPY_SECONDS.search(entry.user_message).group(1))
                continue
            if event.step_key is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                starts[event.step_key] = entry.timestamp
            elif event.event_type == DagsterEventType.STEP_SUCCESS:
                steps[event.step_key] = entry.timestamp - starts[event.step_key]
                if event.step_key == DBT_STEP:
                    marks["end"] = entry.timestamp
    if "lake" in marks and "copied" in marks:
        start = starts[DBT_STEP]
        steps["  of which lake sync"] = marks["lake"] - start
        steps["  of which dbt on Spark"] = marks["copied"] - marks["lake"] - marks["copy"]
        steps["  of which copy back"] = marks["copy"]
    return steps


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares of seconds = fixed + per_contact * contacts."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    per = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return mean_y - per * mean_x, per


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, nargs="+", default=[20000, 100000])
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    parser.add_argument("--home", type=Path, help="a new folder for the homes (default: temp)")
    args = parser.parse_args(argv)

    from orchestration.engines import EngineError, spark_dbt

    try:
        spark_dbt()
    except EngineError as error:
        raise SystemExit(str(error)) from None
    root = (args.home or Path(tempfile.mkdtemp(prefix="funnel-spark-bench-"))).resolve()
    dbt_steps: dict[str, list[tuple[int, float]]] = {"duckdb": [], "spark": []}
    for contacts in args.contacts:
        homes = {engine: root / f"{contacts}-{engine}" for engine in ("duckdb", "spark")}
        if any(home.exists() for home in homes.values()):
            raise SystemExit(f"{root} already holds a base of {contacts} contacts: give a new one")
        run_funnel(
            homes["duckdb"],
            "generate",
            f"--contacts={contacts}",
            "--seed=42",
            f"--end-date={args.as_of}",
            "--quiet",
        )
        shutil.copytree(homes["duckdb"] / "landing", homes["spark"] / "landing")
        walls = {
            "duckdb": run_funnel(homes["duckdb"], "run", "--as-of", args.as_of.isoformat()),
            "spark": run_funnel(
                homes["spark"], "run", "--engine", "spark", "--as-of", args.as_of.isoformat()
            ),
        }
        steps = {engine: step_seconds(home) for engine, home in homes.items()}
        print(f"\n{contacts:,} contacts, as of {args.as_of} ({root}):")
        print("| step | DuckDB (s) | Spark (s) |\n|---|---:|---:|")
        for step in dict.fromkeys([*steps["duckdb"], *steps["spark"]]):
            duck, spark = steps["duckdb"].get(step), steps["spark"].get(step)
            cells = [f"{v:.1f}" if v is not None else "" for v in (duck, spark)]
            print(f"| {step} | {cells[0]} | {cells[1]} |")
        print(f"| whole `funnel run` | {walls['duckdb']:.1f} | {walls['spark']:.1f} |")
        for engine in dbt_steps:
            dbt_steps[engine].append((contacts, steps[engine][DBT_STEP]))

    if len(args.contacts) < 2:
        return
    fits = {engine: _fit(points) for engine, points in dbt_steps.items()}
    print("\nThe dbt step as a fixed cost plus a cost per contact (least squares):")
    for engine, (fixed, per) in fits.items():
        print(f"  {engine:<7} {fixed:7.1f} s + {per * 1000:7.3f} ms per contact")
    (duck_fixed, duck_per), (spark_fixed, spark_per) = fits["duckdb"], fits["spark"]
    print("\nSpark on n machines like this one against DuckDB on one (estimate, see --help):")
    for machines in CLUSTER_SIZES:
        saved_per_contact = duck_per - spark_per / machines
        if saved_per_contact <= 0:
            print(f"  n = {machines:>3}: never (Spark's cost per contact stays above DuckDB's)")
        else:
            contacts = max(spark_fixed - duck_fixed, 0) / saved_per_contact
            print(f"  n = {machines:>3}: from about {contacts:,.0f} contacts")


if __name__ == "__main__":
    main()
