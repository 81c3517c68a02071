"""Run the floor (`benchmarks/floor.sql`) on a FUNNEL_HOME's landing files.

.venv/bin/python benchmarks/floor.py --home /tmp/funnel --as-of 2026-06-30
.venv/bin/python benchmarks/floor.py --home /tmp/funnel --out /tmp/floor.duckdb

The floor computes `dim_contacts` and `fct_funnel_transitions` as `funnel run --as-of` does, in
one DuckDB process and one SQL script: the yardstick the pipeline's time is measured against
(docs/benchmarks.md). This runner only gathers what the script reads: the landing files (as
text), the dbt vars of dbt_project.yml, the seeds folder and the funnel states' orders.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import duckdb
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
FLOOR_SQL = Path(__file__).with_name("floor.sql")
ENTITIES = ("companies", "contacts", "engagement_events", "sales_activities", "opportunities")
# the dbt vars the two outputs depend on, as DuckDB variables of the same name
VARS = (
    "engagement_half_life_days",
    "engagement_cap_period",
    "qualified_lead_score",
    "mql_score",
    "mql_min_fit_score",
    "mql_min_interactions",
    "recycle_score",
    "sql_activity_types",
    "retention_months",
    "retention_activity_types",
)
OUTPUTS = ("dim_contacts", "fct_funnel_transitions")
# free-text columns no output reads and no loader rule refuses a row for
SKIPPED_COLUMNS = {"engagement_events": ("channel", "campaign", "asset", "url")}


def dbt_vars(overrides: dict[str, object] | None = None) -> dict[str, object]:
    """The project's vars (dbt_project.yml), with `overrides` applied."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    return {**project["vars"], **(overrides or {})}


def landing_files(home: Path, entity: str) -> list[Path]:
    """The entity's landing files, in the order the loader takes them (by name, none hidden)."""
    folder = home / "landing" / entity
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith((".", "_")) and p.suffix in (".csv", ".parquet")
    )


def _landing_view(connection: duckdb.DuckDBPyConnection, entity: str, files: list[Path]) -> None:
    """`landing_<entity>`: every file's rows as text, with the lineage the loader records.

    Only the columns the floor reads are kept (an event's campaign, asset, url and channel are
    free text, which never refuses a row). Each file counts as loaded one microsecond after the
    previous one (the loader takes them in name order); a CSV's line number counts its header, a
    Parquet row's is its position.
    """
    parts = []
    for order, path in enumerate(files):
        if path.suffix == ".csv":
            reader = f"read_csv('{path}', all_varchar = true, header = true, delim = ',')"
            first_line = 2
        else:
            reader = f"read_parquet('{path}')"
            first_line = 1
        names = [
            row[0] for row in connection.execute(f"describe select * from {reader}").fetchall()
        ]
        skipped = SKIPPED_COLUMNS.get(entity, ())
        columns = ", ".join(f'cast("{n}" as varchar) as "{n}"' for n in names if n not in skipped)
        table = f"landing_{entity}_{order}"
        # insertion order is kept, so rowid is the row's position in the file
        connection.execute(f"create temp table {table} as select {columns} from {reader}")
        parts.append(
            f"select *, '{path}' as _file_path, rowid + {first_line} as _line_number,"
            f" current_timestamp at time zone 'UTC' + interval {order} microsecond as _loaded_at"
            f" from {table}"
        )
    connection.execute(
        f"create or replace temp view landing_{entity} as {' union all by name '.join(parts)}"
    )


def run_floor(
    home: Path,
    as_of: dt.date,
    out: Path | None = None,
    overrides: dict[str, object] | None = None,
    profile: bool = False,
) -> duckdb.DuckDBPyConnection:
    """Compute the two outputs for `home` as of the end of `as_of`; the open connection holds them
    as tables `dim_contacts` and `fct_funnel_transitions` (in `out` when given, else in memory);
    `profile` prints the time of each statement."""
    connection = duckdb.connect(str(out) if out else ":memory:")
    connection.execute("set TimeZone = 'UTC'")
    settings = dbt_vars(overrides)
    connection.execute("set variable as_of = ?::date", [as_of])
    # the end of the as-of day: everything dated at or after it is ignored
    connection.execute("set variable as_of_at = (?::date + interval 1 day)::timestamp", [as_of])
    connection.execute(
        "set variable earliest_plausible_at = ?::timestamp", [settings["earliest_plausible_date"]]
    )
    for name in VARS:
        value = settings[name]
        connection.execute(f"set variable {name} = ?", [value])
    connection.execute("set variable seeds_dir = ?", [str(PROJECT_DIR / "seeds")])
    states = dict(
        connection.execute(
            "select state, state_order::integer from read_csv(?, header = true)",
            [str(PROJECT_DIR / "seeds" / "funnel_states.csv")],
        ).fetchall()
    )
    connection.execute("set variable sql_order = ?::integer", [states["sql"]])
    connection.execute("set variable opportunity_order = ?::integer", [states["opportunity"]])
    started = time.perf_counter()
    for entity in ENTITIES:
        files = landing_files(home, entity)
        if not files:
            raise SystemExit(f"no landing files for {entity} in {home / 'landing'}")
        _landing_view(connection, entity, files)
    if profile:
        print(f"  {time.perf_counter() - started:7.2f} s  the landing files, read as text")
    for statement in statements():
        started = time.perf_counter()
        connection.execute(statement)
        if profile:
            first = next(line for line in statement.splitlines() if line.startswith("create"))
            print(f"  {time.perf_counter() - started:7.2f} s  {first}")
    return connection


def statements() -> list[str]:
    """The script's statements, in order: each ends with `;` at the end of a line of code."""
    found, lines = [], []
    for line in FLOOR_SQL.read_text().splitlines():
        lines.append(line)
        if line.rstrip().endswith(";") and not line.lstrip().startswith("--"):
            found.append("\n".join(lines))
            lines = []
    return found


def contract_columns(table: str) -> list[str]:
    """The columns of a public table's enforced contract (models/marts/_marts__models.yml)."""
    models = yaml.safe_load((PROJECT_DIR / "models" / "marts" / "_marts__models.yml").read_text())
    (model,) = [m for m in models["models"] if m["name"] == table]
    return [column["name"] for column in model["columns"]]


def mismatches(floor_db: Path, warehouse: Path, table: str) -> tuple[int, int]:
    """Rows only the floor has, rows only the warehouse's mart has: both ways of `except all`
    (rows as multisets) on every contract column."""
    columns = ", ".join(contract_columns(table))
    with duckdb.connect(str(floor_db), read_only=True) as connection:
        connection.execute(f"attach '{warehouse}' as warehouse (read_only)")
        floor_rows = f"select {columns} from main.{table}"
        mart_rows = f"select {columns} from warehouse.marts.{table}"
        only_floor, only_mart = (
            connection.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
            for a, b in ((floor_rows, mart_rows), (mart_rows, floor_rows))
        )
    return only_floor, only_mart


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, required=True, help="the FUNNEL_HOME to read")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    parser.add_argument("--out", type=Path, help="a DuckDB file to write the outputs to")
    parser.add_argument(
        "--compare", action="store_true", help="compare to the home's marts (with --out)"
    )
    parser.add_argument("--profile", action="store_true", help="print each statement's time")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with run_floor(args.home.resolve(), args.as_of, args.out, profile=args.profile) as connection:
        counts = {
            table: connection.execute(f"select count(*) from {table}").fetchone()[0]
            for table in OUTPUTS
        }
    seconds = time.perf_counter() - started
    print(
        f"floor as of {args.as_of}: {seconds:.1f} s; "
        + ", ".join(f"{table} {rows:,} rows" for table, rows in counts.items())
    )
    if args.compare and args.out:
        for table in OUTPUTS:
            only_floor, only_mart = mismatches(args.out, args.home / "warehouse.duckdb", table)
            print(f"  {table}: {only_floor} rows only in the floor, {only_mart} only in the mart")


if __name__ == "__main__":
    main()
