"""The fixed overhead: `funnel run` on a base so small that its data costs nothing.

.venv/bin/python benchmarks/overhead.py                 # 200 contacts, 3 runs of each kind
.venv/bin/python benchmarks/overhead.py --repeats 5 --contacts 100

It generates a base (`funnel generate --contacts 200 --seed 11`) in a new FUNNEL_HOME, then runs
`funnel run` as a user does, in a process of its own, and times each run from outside (the
command's start-up and imports included):
1. as of the base's last day, from an empty warehouse (dbt parses the project in full);
2. the same day again, with nothing new, `--repeats` times;
3. as of each next day, with nothing new, `--repeats` times.
It prints each time, the median of each kind, and the steps of the last run (Dagster's events).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BIN = Path(sys.executable).parent
GOAL_SECONDS = 15.0


def run_funnel(home: Path, *args: str) -> float:
    """Run `funnel <args>` in the home; its wall time."""
    env = {**os.environ, "FUNNEL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    started = time.perf_counter()
    process = subprocess.run(
        [str(BIN / "funnel"), *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        print(process.stdout[-4000:], process.stderr[-4000:])
        raise SystemExit(f"funnel {' '.join(args)} failed ({process.returncode}) in {home}")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=200)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--home", type=Path, help="a new FUNNEL_HOME (default: a temp dir)")
    args = parser.parse_args(argv)

    home = (args.home or Path(tempfile.mkdtemp(prefix="funnel-overhead-"))).resolve()
    if (home / "warehouse.duckdb").exists():
        raise SystemExit(f"{home} already has a warehouse: give a new folder")
    run_funnel(
        home,
        "generate",
        f"--contacts={args.contacts}",
        "--seed=11",
        f"--end-date={args.as_of}",
    )

    first = run_funnel(home, "run", "--as-of", args.as_of.isoformat())
    print(f"from an empty warehouse, as of {args.as_of}: {first:6.1f} s")
    kinds: dict[str, list[float]] = {"the same day again": [], "the next day": []}
    for _ in range(args.repeats):
        seconds = run_funnel(home, "run", "--as-of", args.as_of.isoformat())
        kinds["the same day again"].append(seconds)
        print(f"the same day again, as of {args.as_of}: {seconds:6.1f} s")
    day = args.as_of
    for _ in range(args.repeats):
        day += dt.timedelta(days=1)
        seconds = run_funnel(home, "run", "--as-of", day.isoformat())
        kinds["the next day"].append(seconds)
        print(f"the next day, as of {day}: {seconds:6.1f} s")

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    from run import latest_run_id, print_breakdown

    print_breakdown(latest_run_id(), top=5)
    print(f"\nFixed overhead ({args.contacts} contacts, {home}), goal {GOAL_SECONDS:.0f} s:")
    print(f"| run | median of {args.repeats} | ÷ goal |")
    print("|---|---:|---:|")
    print(f"| from an empty warehouse | {first:.1f} s | {first / GOAL_SECONDS:.2f}x |")
    for kind, times in kinds.items():
        median = statistics.median(times)
        print(f"| {kind} | {median:.1f} s | {median / GOAL_SECONDS:.2f}x |")


if __name__ == "__main__":
    main()
