"""Benchmark `funnel run` at scale against the floor, then daily increments and BI queries.

.venv/bin/python benchmarks/run.py                      # 1M contacts, 200k companies, 20M events
.venv/bin/python benchmarks/run.py --contacts 100000 --companies 20000 --events 2000000
.venv/bin/python benchmarks/run.py --home /tmp/big      # reuse (or keep) a FUNNEL_HOME
.venv/bin/python benchmarks/run.py --no-floor --increments '' --no-bi   # the full run only

It generates the base (unless the home's landing folder already has files), then, in one run:
1. the floor (`benchmarks/floor.py`: the same dim_contacts and transitions in one DuckDB script)
   on the landing files, in its own process;
2. the same Dagster job `funnel run` materialises, in-process, from an empty warehouse: the wall
   time of each step and the slowest dbt nodes, the public tables' rows;
3. each daily increment: a next-day file of new events (`benchmarks/increment.py`, a share of
   the events delivered) and `funnel run --as-of <that day>` on it, as a user runs it;
4. the serving contract's typical BI queries on the published `serving.duckdb`, p50 and p95.
Peak memory is that of the whole process tree (the dbt process included). It ends with a table
of every figure and its ratio to the floor (docs/benchmarks.md explains each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from memory import PeakMemory

BENCHMARKS = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
# the serving contract's typical queries (docs/serving.md); `?` is a contact drawn at random
BI_QUERIES = {
    "funnel by stage": """
        select stage, sum(contacts) as contacts, sum(contacts_entered) as entered
        from marts.fct_funnel_daily
        where funnel_date = (select max(funnel_date) from marts.fct_funnel_daily)
        group by stage order by stage
    """,
    "conversion by cohort and segment": """
        select cohort_month, icp_fit_grade, employee_band,
               sum(leads) as leads, sum(mqls) as mqls,
               sum(lead_to_mql_in_window) / nullif(sum(leads_window_elapsed), 0) as lead_to_mql,
               sum(mql_to_sql_in_window) / nullif(sum(mqls_window_elapsed), 0) as mql_to_sql
        from marts.rpt_stage_conversion
        group by all order by all
    """,
    "one contact's history": """
        select t.stage, t.from_stage, t.entered_at, t.exited_at, t.is_inferred,
               c.funnel_stage, c.engagement_score, c.icp_fit_grade
        from marts.fct_funnel_transitions as t
        join marts.dim_contacts as c using (contact_id)
        where t.contact_id = ?
        order by t.transition_number
    """,
}


class Figures:
    """The rows of the closing table: what, its time, peak memory, and its ratio to the floor."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, float | None]] = []
        self.floor: float | None = None

    def add(self, what: str, seconds: float, peak_gib: float) -> None:
        self.rows.append((what, f"{seconds:.1f} s", f"{peak_gib:.2f} GiB", seconds))

    def add_query(self, what: str, p50: float, p95: float) -> None:
        self.rows.append((what, f"p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms", "—", None))

    def print(self) -> None:
        print("\n| what | time | peak memory | ÷ floor |")
        print("|---|---:|---:|---:|")
        for what, time_text, memory, seconds in self.rows:
            ratio = f"{seconds / self.floor:.2f}x" if self.floor and seconds is not None else "—"
            print(f"| {what} | {time_text} | {memory} | {ratio} |")


def _funnel_env(home: Path) -> dict[str, str]:
    return {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}


def run_floor(home: Path, as_of: dt.date, figures: Figures) -> Path:
    """Time the floor in its own process; returns the DuckDB file holding its outputs."""
    out = Path(tempfile.mkdtemp(prefix="floor-")) / "floor.duckdb"
    command = [
        sys.executable,
        str(BENCHMARKS / "floor.py"),
        "--home",
        str(home),
        "--as-of",
        as_of.isoformat(),
        "--out",
        str(out),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    with PeakMemory(process.pid) as peak:
        if process.wait() != 0:
            raise SystemExit("the floor failed")
    seconds = time.perf_counter() - started
    figures.floor = seconds
    figures.add(f"floor: dim_contacts and transitions as of {as_of}", seconds, peak.gib)
    return out


def compare_floor(out: Path, warehouse: Path) -> None:
    """The floor's outputs against the marts the full run built (before any increment)."""
    from floor import OUTPUTS, mismatches

    print("\nfloor against the marts (rows only in one of them; 0 and 0 is parity):")
    for table in OUTPUTS:
        only_floor, only_mart = mismatches(out, warehouse, table)
        print(f"  {table:<24} {only_floor:>8} only in the floor {only_mart:>8} only in the mart")
    out.unlink()


def print_breakdown(run_id: str, top: int) -> None:
    """A run's Dagster steps with their times, and its slowest dbt nodes (each node's own time,
    on dbt's threads), from the run's events in the home's Dagster instance."""
    from dagster import DagsterEventType, DagsterInstance

    print("\nDagster steps:")
    starts: dict[str, float] = {}
    durations = []
    finished = []  # (seconds since the dbt step started, seconds, node)
    with DagsterInstance.get() as instance:
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                materialization = event.event_specific_data.materialization
                duration = materialization.metadata.get("Execution Duration")
                if duration is not None:
                    key = materialization.asset_key.to_user_string()
                    durations.append((duration.value, key))
                    dbt_started = starts.get(event.step_key, entry.timestamp)
                    finished.append((entry.timestamp - dbt_started, duration.value, key))
            elif event.step_key is None:
                continue
            elif event.event_type == DagsterEventType.STEP_START:
                starts[event.step_key] = entry.timestamp
            elif event.event_type == DagsterEventType.STEP_SUCCESS:
                seconds = entry.timestamp - starts[event.step_key]
                print(f"  {event.step_key:<40} {seconds:8.1f} s")
    print(f"\nSlowest dbt nodes (of the dbt step; {sum(d for d, _ in durations):.1f} s in all):")
    for seconds, key in sorted(durations, reverse=True)[:top]:
        print(f"  {key:<58} {seconds:8.1f} s")
    # when each node ran: the chain of nodes that waited for one another is the dbt step's
    # wall time, whatever the others cost (a node's tests run between it and its children)
    print("\nWhen the dbt nodes of a second or more ran (seconds since the dbt step started):")
    for end, seconds, key in sorted(finished, key=lambda node: node[0] - node[1]):
        if seconds >= 1:
            print(f"  {end - seconds:7.1f} to {end:7.1f}  {key}")


def latest_run_id() -> str:
    """The id of the latest run in the home's Dagster instance."""
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        return instance.get_runs(limit=1)[0].run_id


def run_full(paths, as_of: dt.date, top: int, figures: Figures) -> None:
    from orchestration.cli import _execute

    started = time.perf_counter()
    with PeakMemory() as peak:
        result = _execute(paths, as_of.isoformat())
    total = time.perf_counter() - started
    if not result.success:
        raise SystemExit("the run failed: see the Dagster logs above")
    figures.add(f"`funnel run` as of {as_of}, from an empty warehouse", total, peak.gib)

    print(f"\nfunnel run as of {as_of} on {paths.home}: {total:.1f} s in all")
    print_breakdown(result.run_id, top)

    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        print("\nPublic tables:")
        for (table,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " order by 1"
        ).fetchall():
            rows = connection.execute(f"select count(*) from marts.{table}").fetchone()[0]
            print(f"  marts.{table:<40} {rows:>14,}")
    size = paths.warehouse.stat().st_size / 2**30
    print(f"\nwarehouse.duckdb {size:.2f} GiB; peak memory {peak.gib:.2f} GiB (process tree)")


def run_increments(
    home: Path, as_of: dt.date, shares: list[float], top: int, figures: Figures
) -> None:
    """Each share delivered on the next day and run; prints the time, where it went, and the
    warehouse's size against its size after the full run (a file that grows run after run would
    show here)."""
    from increment import write_next_day_events

    warehouse = home / "warehouse.duckdb"
    full_size = warehouse.stat().st_size
    day = as_of
    for share in shares:
        day += dt.timedelta(days=1)
        path = write_next_day_events(home, day, share)
        with duckdb.connect() as connection:
            reader = "read_csv" if path.suffix == ".csv" else "read_parquet"
            rows = connection.execute(f"select count(*) from {reader}('{path}')").fetchone()[0]
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(BIN / "funnel"), "run", "--as-of", day.isoformat()],
            env=_funnel_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        with PeakMemory(process.pid) as peak:
            output, _ = process.communicate()
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            print(output[-4000:])
            raise SystemExit(f"funnel run --as-of {day} failed ({process.returncode})")
        size = warehouse.stat().st_size
        print(
            f"increment {share:.1%} ({rows:,} events) as of {day}: {seconds:.1f} s;"
            f" warehouse.duckdb {size / 2**30:.2f} GiB, {size / full_size:.2f}x its size after"
            " the full run"
        )
        print_breakdown(latest_run_id(), top)
        figures.add(
            f"next day +{share:.1%} events ({rows:,}): `funnel run --as-of {day}`",
            seconds,
            peak.gib,
        )


def run_bi_queries(serving: Path, repeats: int, figures: Figures) -> None:
    with duckdb.connect(str(serving), read_only=True) as connection:
        contact_ids = [
            row[0]
            for row in connection.execute(
                "select contact_id from marts.dim_contacts using sample 1000 rows"
            ).fetchall()
        ]
        draw = random.Random(1)
        print(f"\nBI queries on {serving}, {repeats} times each:")
        for name, sql in BI_QUERIES.items():
            seconds = []
            for _ in range(repeats):
                params = [draw.choice(contact_ids)] if "?" in sql else []
                started = time.perf_counter()
                connection.execute(sql, params).fetchall()
                seconds.append(time.perf_counter() - started)
            seconds.sort()
            p50 = seconds[len(seconds) // 2]
            p95 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))]
            print(f"  {name:<36} p50 {p50 * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms")
            figures.add_query(f"BI: {name} ({repeats} times)", p50, p95)


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
    parser.add_argument("--no-floor", action="store_true", help="skip the floor")
    parser.add_argument(
        "--increments",
        default="0.001,0.01,0.05",
        help="shares of the events delivered the next days, comma-separated ('' for none)",
    )
    parser.add_argument("--no-bi", action="store_true", help="skip the BI queries")
    parser.add_argument("--bi-repeats", type=int, default=50)
    args = parser.parse_args(argv)
    shares = [float(s) for s in args.increments.split(",") if s.strip()]

    home = (args.home or Path(tempfile.mkdtemp(prefix="funnel-run-"))).resolve()
    os.environ["FUNNEL_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    from orchestration.cli import _use_home

    paths = _use_home(str(home))
    if not any(paths.landing.glob("*/*")):
        # in a process of its own: the memory it leaves behind must not count in the run's peak
        started = time.perf_counter()
        subprocess.run(
            [
                str(BIN / "funnel"),
                "generate",
                f"--contacts={args.contacts}",
                f"--companies={args.companies}",
                f"--events={args.events}",
                f"--end-date={args.as_of}",
            ],
            env=_funnel_env(home),
            check=True,
        )
        print(f"generate: {time.perf_counter() - started:8.1f} s")

    figures = Figures()
    floor_out = None
    if not args.no_floor:
        floor_out = run_floor(home, args.as_of, figures)
        print(f"floor: {figures.floor:.1f} s")
    run_full(paths, args.as_of, args.top, figures)
    if floor_out:
        compare_floor(floor_out, paths.warehouse)
    if shares:
        run_increments(home, args.as_of, shares, args.top, figures)
    if not args.no_bi:
        run_bi_queries(paths.serving, args.bi_repeats, figures)
    print(f"\nFigures ({home}):")
    figures.print()


if __name__ == "__main__":
    main()
