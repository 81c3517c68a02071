"""The `funnel` command: generate a base, run the pipeline, inspect loads, start the UI."""

from __future__ import annotations

import argparse
import errno
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from orchestration.home_lock import EXIT_HOME_BUSY, Holder, HomeBusy, home_lock
from orchestration.settings import PROJECT_DIR, FunnelPaths, export_duckdb_settings

DAGSTER_CONFIG = """\
# Written by `funnel`: runs of the funnel job write one DuckDB file, so one run at a time.
concurrency:
  runs:
    max_concurrent_runs: 1
telemetry:
  enabled: false
# Dagster's SQLite event log, kept open instead of opened and synced for every event
# (orchestration/defs/event_log.py), where Dagster keeps it.
event_log_storage:
  module: orchestration.defs.event_log
  class: PooledSqliteEventLogStorage
  config:
    base_dir: "{event_log_dir}"
"""
# What earlier versions of `funnel` wrote: replaced by DAGSTER_CONFIG, an edited file is kept.
EARLIER_DAGSTER_CONFIGS = (
    """\
# Written by `funnel`: runs of the funnel job write one DuckDB file, so one run at a time.
concurrency:
  runs:
    max_concurrent_runs: 1
telemetry:
  enabled: false
""",
)

# `funnel` exits with this code when the disk holding FUNNEL_HOME is full (EX_IOERR).
EXIT_DISK_FULL = 74
DISK_FULL_SIGNS = ("No space left on device", "database or disk is full", "disk is full")
# A failure while less than this is free where FUNNEL_HOME is counts as a full disk, whatever the
# failing library called it (SQLite may say "disk I/O error").
NEARLY_FULL_BYTES = 32 << 20


def _home_paths(home: str | None) -> FunnelPaths:
    """The files of the home given by --home, else by FUNNEL_HOME (default ./data)."""
    return FunnelPaths(Path(home).resolve()) if home else FunnelPaths.from_env()


def _use_home(home: str | None) -> FunnelPaths:
    """Fix FUNNEL_HOME (absolute) and DuckDB's memory limit for this process and the dbt and
    Dagster processes it starts; the home is created when missing."""
    paths = _home_paths(home)
    os.environ["FUNNEL_HOME"] = str(paths.home)
    try:
        export_duckdb_settings()
    except ValueError as error:
        print(f"funnel: {error}", file=sys.stderr)
        sys.exit(2)
    paths.home.mkdir(parents=True, exist_ok=True)
    write_dagster_config(Path(os.environ.setdefault("DAGSTER_HOME", str(paths.home / "dagster"))))
    # dagster-dbt reads dbt's events on stdout and deletes each invocation's folder, log included:
    # dbt writes no debug log file there.
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "none")
    # dbt and dagster of this environment, even when it is not activated.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return paths


def dagster_config(dagster_home: Path) -> str:
    return DAGSTER_CONFIG.format(event_log_dir=dagster_home.resolve() / "history" / "runs")


def _written_by_funnel(text: str) -> bool:
    """An earlier version's config, or this one for another folder (a FUNNEL_HOME moved)."""
    any_folder = re.escape(DAGSTER_CONFIG).replace(re.escape("{event_log_dir}"), '[^"]*')
    return text in EARLIER_DAGSTER_CONFIGS or re.fullmatch(any_folder, text) is not None


def write_dagster_config(dagster_home: Path) -> None:
    """The instance's dagster.yaml, unless the user wrote their own."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    wanted = dagster_config(dagster_home)
    if not config.exists() or (
        config.read_text() != wanted and _written_by_funnel(config.read_text())
    ):
        config.write_text(wanted)


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {text!r}") from None


def cmd_generate(args: argparse.Namespace) -> int:
    from orchestration.synthetic import generate

    paths = _use_home(args.home)
    landing = Path(args.landing).resolve() if args.landing else paths.landing
    try:
        summary = generate(
            landing,
            contacts=args.contacts,
            companies=args.companies,
            events=args.events,
            seed=args.seed,
            end_date=date.fromisoformat(args.end_date) if args.end_date else None,
            file_format=args.format,
            bad_row_share=0.0 if args.no_bad_rows else args.bad_row_share,
            progress=not args.quiet,
        )
    except ValueError as error:
        print(f"funnel generate: {error}", file=sys.stderr)
        return 2
    print(f"Wrote a synthetic B2B base to {landing}")
    for entity, rows in summary.rows.items():
        bad = sum(summary.bad_rows.get(entity, {}).values())
        refused = summary.unparseable_rows(entity)
        detail = (
            f": {refused:,} the load quarantines, {bad - refused:,} it loads for the checks to flag"
            if bad
            else ""
        )
        print(f"  {entity:<18} {rows:>12,} rows  ({bad:,} deliberately bad{detail})")
    return 0


def _execute(
    paths: FunnelPaths,
    as_of: str,
    raw_only: bool = False,
    lang: str = "en",
    verbose: bool = False,
    replace_later: bool = False,
    full_refresh: bool = False,
    engine: str | None = None,
):
    """Materialise the funnel job in-process: the same definitions the UI and schedule use."""
    from dagster import AssetSelection, DagsterInstance

    from orchestration.defs.definitions import defs
    from orchestration.defs.raw_assets import RAW_GROUP
    from orchestration.defs.schedules import run_config_as_of

    definitions = defs()
    job = definitions.resolve_job_def("funnel_job")
    selection = AssetSelection.groups(RAW_GROUP) if raw_only else None
    with DagsterInstance.get() as instance:
        return job.execute_in_process(
            run_config={
                **run_config_as_of(as_of, lang, replace_later, full_refresh, engine),
                "loggers": {"console": {"config": {"log_level": "DEBUG" if verbose else "INFO"}}},
            },
            instance=instance,
            raise_on_error=False,
            asset_selection=list(selection.resolve(definitions.resolve_asset_graph()))
            if selection
            else None,
        )


def _failed(result, paths: FunnelPaths, command: str) -> int:
    """Report a failed run; its exit code."""
    full = _failed_for_lack_of_space(result)
    if full is not None:
        _say_disk_full(command, full)
        return EXIT_DISK_FULL
    _report_failure(result, paths)
    return 1


def _root_cause(error) -> str:
    """The error underneath a step failure, in one line: Dagster wraps what the step raised
    ("Error occurred while executing op ...") around the error that says what went wrong."""
    if error is None:
        return "unknown error"
    while error.cause is not None or error.context is not None:
        error = error.cause or error.context
    lines = [line.strip() for line in error.message.strip().splitlines() if line.strip()]
    message = lines[0] if lines else error.cls_name or "unknown error"
    return message if len(message) <= 300 else message[:297] + "..."


def _report_failure(result, paths: FunnelPaths) -> None:
    """The last lines of a failed run: each failed step (or the run's own failure) with the error
    underneath, each failed check, and a log file with every failure in full."""
    from orchestration.defs.schedules import run_as_of
    from orchestration.quality.failures import failed_check_lines

    print("\nThe run failed:", file=sys.stderr)
    failures = [
        (f"step {event.step_key}", event.step_failure_data.error)
        if event.is_step_failure
        else ("run", getattr(event.event_specific_data, "error", None))
        for event in result.all_events
        if event.is_step_failure or event.is_run_failure
    ]
    steps = [(where, error) for where, error in failures if where != "run"]
    for where, error in steps or failures:  # the run's own failure only when no step failed
        if error is not None:
            print(f"  {where}: {_root_cause(error)}", file=sys.stderr)
    checks = failed_check_lines(result.all_events, run_as_of(result.dagster_run.run_config))
    if checks:
        print(
            "Failed checks (a blocking one stops everything downstream of its asset, and"
            " publication; the Data Docs are in FUNNEL_HOME/reports/data_docs/index.html):",
            file=sys.stderr,
        )
        for line in checks:
            print(line, file=sys.stderr)
    log = paths.home / "logs" / f"funnel-run-{result.run_id}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(
        "\n\n".join(
            f"{where}:\n{error.to_string()}" for where, error in failures if error is not None
        )
        or "No step failed; see the failed checks above.\n",
        encoding="utf-8",
    )
    print(
        f"Every error in full: {log}. Run id {result.run_id}: `funnel ui` shows its events"
        f" (DAGSTER_HOME={os.environ['DAGSTER_HOME']}).",
        file=sys.stderr,
    )


def _nothing_to_build(paths: FunnelPaths) -> bool:
    """No landing file to load and no file loaded before."""
    from orchestration.contract import ENTITIES
    from orchestration.loading import MANIFEST_TABLE, landing_files, table_exists

    if any(landing_files(paths.landing, entity) for entity in ENTITIES):
        return False
    if not paths.warehouse.exists():
        return True
    import duckdb

    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        if not table_exists(connection, MANIFEST_TABLE):
            return True
        loaded = f"select count(*) from {MANIFEST_TABLE} where status = 'loaded'"
        return connection.execute(loaded).fetchone()[0] == 0


@contextmanager
def _writer(paths: FunnelPaths, args: argparse.Namespace) -> Iterator[bool]:
    """Hold the home's lock for a run or a load; yields True (and prints why) when another
    process holds it and `--wait` was not given."""

    def waiting(holder: Holder) -> None:
        print(f"Waiting: {holder.describe()} holds {paths.home}.", file=sys.stderr)

    with ExitStack() as stack:
        try:
            stack.enter_context(home_lock(paths.home, wait=args.wait, on_wait=waiting))
        except HomeBusy as busy:
            print(f"funnel {args.command}: {busy}", file=sys.stderr)
            yield True
            return
        yield False


@contextmanager
def _spill_folder(paths: FunnelPaths) -> Iterator[None]:
    """FUNNEL_HOME/tmp, where DuckDB spills, empty when a run starts (a killed run leaves files)
    and removed when it ends. Called with the home's lock held."""
    shutil.rmtree(paths.tmp, ignore_errors=True)
    paths.tmp.mkdir(parents=True)
    try:
        yield
    finally:
        shutil.rmtree(paths.tmp, ignore_errors=True)


def cmd_run(args: argparse.Namespace) -> int:
    from orchestration.gc_tuning import tune_for_a_run

    tune_for_a_run()  # before the imports below: they create most of the run's long-lived objects
    paths = _use_home(args.home)
    if not paths.landing.is_dir():
        print(
            f"funnel run: no landing folder at {paths.landing}. Put files there (one folder per"
            " entity) or run `funnel generate` first.",
            file=sys.stderr,
        )
        return 2
    from orchestration.quality import gx_worker

    # great-expectations is imported on another core while this process imports the rest
    with gx_worker.running():
        return _run(paths, args)


def _run(paths: FunnelPaths, args: argparse.Namespace) -> int:
    from orchestration import dbt_worker
    from orchestration.engines import SPARK, EngineError, home_engine, spark_dbt

    as_of = args.as_of or datetime.now(UTC).date().isoformat()
    try:
        engine = args.engine or home_engine(paths)
        if engine == SPARK:
            spark_dbt()
    except EngineError as error:
        print(f"funnel run: {error}", file=sys.stderr)
        return 2
    with _writer(paths, args) as busy, ExitStack() as started:
        if busy:
            return EXIT_HOME_BUSY
        if engine != SPARK:
            # dbt imported and the project parsed on the other core while this process imports
            # Dagster and loads the landing files (orchestration/dbt_worker.py)
            started.enter_context(dbt_worker.running(paths.parse_state))
        _resume_erasures(paths)
        if _nothing_to_build(paths):
            print(
                f"funnel run: the landing folder {paths.landing} is empty and nothing was loaded"
                " before: nothing to build or publish (the published files are left as they"
                " are). Put files there (one folder per entity) or run `funnel generate` first.",
                file=sys.stderr,
            )
            return 2
        on_spark = " (the models on Spark)" if engine == SPARK else ""
        print(f"Running the funnel job as of {as_of} on {paths.home}{on_spark}")
        with _spill_folder(paths):
            result = _execute(
                paths,
                as_of,
                lang=args.lang,
                verbose=args.verbose,
                replace_later=args.publish,
                full_refresh=args.full_refresh,
                engine=engine,
            )
        if result.success and args.apply_retention:
            _apply_retention(paths)
    if not result.success:
        return _failed(result, paths, args.command)
    from orchestration.summary import print_summary

    print_summary(paths, as_of, args.lang)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from orchestration.load_status import print_load_status, recorded_files
    from orchestration.quality import gx_worker

    paths = _use_home(args.home)
    with _writer(paths, args) as busy, gx_worker.running():
        if busy:
            return EXIT_HOME_BUSY
        _resume_erasures(paths)
        before = recorded_files(paths)
        with _spill_folder(paths):
            result = _execute(paths, datetime.now(UTC).date().isoformat(), raw_only=True)
    if not result.success:
        return _failed(result, paths, args.command)
    if before is not None and recorded_files(paths) == before:
        print(f"Nothing new to load in {paths.landing}.")
    print_load_status(paths, limit=20)
    return 0


def _refused(args: argparse.Namespace, question: str, not_done: str) -> int | None:
    """None to go on (--yes, or the operator said yes), else the exit code: 2 when there is no
    terminal to ask, 1 when the operator said no."""
    if args.yes:
        return None
    if not sys.stdin.isatty():
        print(
            f"funnel {args.command}: not confirmed (--yes goes on without asking).", file=sys.stderr
        )
        return 2
    if input(f"{question} [y/N] ").strip().lower() in {"y", "yes"}:
        return None
    print(not_done)
    return 1


def _resume_erasures(paths: FunnelPaths) -> None:
    """Finish an erasure a crash interrupted (called with the home's lock held)."""
    from orchestration.privacy.erasure import erasure_interrupted, resume_erasures

    if erasure_interrupted(paths):
        print("Finishing an erasure that was interrupted.")
        for result in resume_erasures(paths):
            print(f"  erasure {result.request.request_id} done.")


def _forget_person(paths: FunnelPaths, args: argparse.Namespace) -> int:
    """The right to erasure: the person's identifiers gone from every file of the home."""
    from orchestration.privacy.erasure import erase_person

    if args.resume:
        with _writer(paths, args) as busy:
            if busy:
                return EXIT_HOME_BUSY
            _resume_erasures(paths)
        return 0
    asked = f"email {args.email}" if args.email else f"contact id {args.contact_id}"
    if not paths.warehouse.exists():
        print(f"funnel forget: no warehouse at {paths.warehouse} yet.", file=sys.stderr)
        return 2
    print(
        f"Erasing the person with the {asked} removes every record of them from {paths.home}:"
        " landing files, the warehouse, the published file, the quarantine, logs, Data Docs."
        " Their email is kept only as a keyed hash, so a later delivery of them is refused."
        " Counts in reports already written keep counting them."
    )
    if (refused := _refused(args, "Erase them?", "Nothing erased.")) is not None:
        return refused
    with _writer(paths, args) as busy:
        if busy:
            return EXIT_HOME_BUSY
        _resume_erasures(paths)
        result = erase_person(paths, email=args.email, contact_id=args.contact_id)
    if result is None:
        print(f"funnel forget: no row of {paths.warehouse} holds the {asked}.", file=sys.stderr)
        return 2
    print(
        f"Erased: {result.warehouse_rows:,} rows of the warehouse, {result.serving_rows:,} of the"
        f" published file, {result.landing_files} landing file(s) rewritten without them. The"
        " next run rebuilds the models without them."
    )
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    """Undo a delivery (a file's or a whole load's raw rows, quarantined rows and manifest rows
    go, in one transaction, after a confirmation), or erase a person."""
    from orchestration.loading.forgetting import forget_files, loaded_files

    paths = _use_home(args.home)
    if args.email or args.contact_id or args.resume:
        return _forget_person(paths, args)
    if args.file:
        given = Path(args.file)
        target = (given if given.is_absolute() else Path.cwd() / given).resolve()
        files = loaded_files(paths.warehouse, path=target)
        what, missing = f"the file {target}", f"no file {target}"
    else:
        files = loaded_files(paths.warehouse, load_id=args.load_id)
        what, missing = f"the load {args.load_id}", f"no load {args.load_id}"
    if not files:
        print(
            f"funnel forget: the manifest holds {missing}; `funnel status` lists the files loaded.",
            file=sys.stderr,
        )
        return 2
    print(f"Forgetting {what} removes from {paths.warehouse}:")
    for f in files:
        print(
            f"  {f.entity:<18} {f.file_path}  ({f.status}, {f.rows_loaded:,} rows loaded,"
            f" {f.rows_quarantined:,} quarantined; load {f.load_id})"
        )
    print(
        "A file still in landing is loaded again by the next run; move it out first to drop the"
        " delivery for good. The next run takes its row counts as the new volume baselines."
    )
    if (refused := _refused(args, "Forget it?", "Nothing forgotten.")) is not None:
        return refused
    with _writer(paths, args) as busy:
        if busy:
            return EXIT_HOME_BUSY
        removed = forget_files(paths.warehouse, sorted({Path(f.file_path) for f in files}))
    print(f"Forgot {removed} file(s).")
    return 0


def _apply_retention(paths: FunnelPaths) -> None:
    """Erase the contacts past retention (called with the home's lock held)."""
    from orchestration.privacy.retention import apply_retention

    found, result = apply_retention(paths)
    if result is None:
        print(f"Retention: no contact past the retention period as of {found.as_of}.")
        return
    print(
        f"Retention: erased {len(found.contacts):,} contact(s) past the retention period as of"
        f" {found.as_of}: {result.warehouse_rows:,} rows of the warehouse, {result.serving_rows:,}"
        f" of the published file, {result.landing_files} landing file(s) rewritten without them."
    )


def cmd_retention(args: argparse.Namespace) -> int:
    """The retention policy: who is kept past it (from the last build), listed or erased."""
    from orchestration.privacy.retention import review_home

    paths = _use_home(args.home)
    found = review_home(paths)
    if found.as_of is None:
        print(
            f"funnel retention: no build in {paths.home} yet; `funnel run` first.", file=sys.stderr
        )
        return 2
    print(
        f"Contacts past the retention period as of {found.as_of} (the last build; `funnel run`"
        f" first for a later day): {len(found.contacts):,}"
    )
    for contact in found.contacts:
        print(
            f"  {contact.contact_id:<16} {contact.email or '-':<36} {contact.funnel_stage:<14}"
            f" ended {contact.retention_ends_at:%Y-%m-%d}  ({contact.why})"
        )
    if args.dry_run or not found.contacts:
        if found.contacts:
            print("`funnel retention --apply` erases them everywhere (docs/privacy.md).")
        return 0
    print(
        "Erasing them removes every record of them from the home, as `funnel forget` does; their"
        " emails are kept only as keyed hashes."
    )
    if (refused := _refused(args, "Erase them?", "Nothing erased.")) is not None:
        return refused
    with _writer(paths, args) as busy:
        if busy:
            return EXIT_HOME_BUSY
        _resume_erasures(paths)
        _apply_retention(paths)
    return 0


def cmd_export_person(args: argparse.Namespace) -> int:
    """The right of access: everything held on one person, as JSON and Markdown."""
    from orchestration.privacy.access import NobodyFound, export_person

    paths = _home_paths(args.home)  # reads only: a missing home is not created
    if not paths.warehouse.exists():
        print(f"funnel export-person: no warehouse at {paths.warehouse} yet.", file=sys.stderr)
        return 2
    with _writer(paths, args) as busy:  # a run writing now would lock the warehouse
        if busy:
            return EXIT_HOME_BUSY
        try:
            export = export_person(
                paths.warehouse,
                Path(args.out),
                email=args.email,
                contact_id=args.contact_id,
                generated_at=datetime.now(UTC),
            )
        except NobodyFound:
            asked = f"email {args.email}" if args.email else f"contact id {args.contact_id}"
            print(
                f"funnel export-person: no row of {paths.warehouse} holds the {asked}.",
                file=sys.stderr,
            )
            return 2
    print(f"Everything held on the person, {sum(export.row_counts.values()):,} rows:")
    for table, count in export.row_counts.items():
        print(f"  {table:<36} {count:>6,}")
    print(f"  for machines   {export.json_path}")
    print(f"  for reading    {export.markdown_path}")
    print("Both files hold the person's data: send them to the person, then delete them.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from orchestration.load_status import print_load_status

    paths = _home_paths(args.home)  # read only: a missing home is not created
    if not paths.warehouse.exists():
        print(f"funnel status: no warehouse at {paths.warehouse} yet; run `funnel run`.")
        return 2
    print_load_status(paths, limit=args.limit)
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    from orchestration.defs.schedules import AUTOMATION_ENV

    paths = _use_home(args.home)
    # the code location's processes read it when they load the definitions
    os.environ[AUTOMATION_ENV] = "stopped" if args.stopped else "running"
    if args.stopped:
        print("The daily schedule and the landing sensor stay stopped: turn them on in the UI.")
    else:
        print(
            "The daily schedule (06:00 UTC, the funnel as of the day before) and the landing"
            f" sensor (new files in {paths.landing}) are running; `funnel ui --stopped` keeps"
            " them stopped."
        )
    # No module given: `dagster dev` reads pyproject.toml's [tool.dagster] (in PROJECT_DIR), which
    # names the code location and its module.
    command = [
        str(Path(sys.executable).parent / "dagster"),
        "dev",
        "--host",
        "127.0.0.1",
        "--port",
        str(args.port),
    ]
    os.chdir(PROJECT_DIR)
    os.execv(command[0], command)
    return 0  # not reached


WAIT_HELP = (
    "when another run or load holds FUNNEL_HOME, wait for it to end (default: exit with code"
    f" {EXIT_HOME_BUSY})"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="funnel",
        description="The B2B funnel warehouse: landing files to funnel stages and reports.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--home",
        help="FUNNEL_HOME: the folder a run reads and writes (default: $FUNNEL_HOME or ./data)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, summary: str, func: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        """A subcommand, listed with its summary, which its own --help shows too."""
        description = f"{summary[0].upper()}{summary[1:]}."
        sub = commands.add_parser(name, parents=[common], help=summary, description=description)
        sub.set_defaults(func=func)
        return sub

    gen = command("generate", "write a synthetic B2B base into landing/", cmd_generate)
    gen.add_argument("--contacts", type=int, default=2_000, help="contacts (default 2000)")
    gen.add_argument("--companies", type=int, help="companies (default contacts / 5)")
    gen.add_argument("--events", type=int, help="engagement events (default contacts x 20)")
    gen.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    gen.add_argument("--end-date", type=_day, help="last day of the data (default today)")
    gen.add_argument("--format", choices=["csv", "parquet"], default="csv")
    gen.add_argument(
        "--bad-row-share",
        type=float,
        default=0.01,
        help="share of deliberately bad rows per entity (default 0.01)",
    )
    gen.add_argument("--no-bad-rows", action="store_true", help="write no bad rows")
    gen.add_argument("--landing", help="landing folder (default FUNNEL_HOME/landing)")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")

    run = command(
        "run",
        "load new landing files, build the models, run the checks, publish, write the report",
        cmd_run,
    )
    run.add_argument(
        "--as-of", type=_day, help="compute scores and stages as of this day (default today)"
    )
    run.add_argument(
        "--lang",
        choices=["en", "fr"],
        default="en",
        help="language of FUNNEL_HOME/reports/funnel-report.html (default en); every run also"
        " writes funnel-report.en.html and funnel-report.fr.html",
    )
    run.add_argument("--verbose", action="store_true", help="Dagster's debug events too")
    run.add_argument("--wait", action="store_true", help=WAIT_HELP)
    run.add_argument(
        "--publish",
        action="store_true",
        help="publish even when serving.duckdb holds a later as-of day (by default a run as of"
        " a past day leaves the publication and the latest reports alone and writes dated"
        " reports)",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every incremental model from scratch (a run does it by itself when the"
        " project changed or a delivery was forgotten since the last build)",
    )
    run.add_argument(
        "--apply-retention",
        action="store_true",
        help="after the build, erase the contacts past the retention period (by default the run"
        " only counts them; docs/privacy.md)",
    )
    run.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        help="the engine that builds the models (default: `engine` in FUNNEL_HOME/funnel.toml,"
        " else duckdb); spark needs `make spark-setup` (docs/spark.md)",
    )

    load = command("load", "only load new landing files into raw", cmd_load)
    load.add_argument("--wait", action="store_true", help=WAIT_HELP)

    retention = command(
        "retention",
        "list (--dry-run) or erase (--apply) the contacts kept past the retention period",
        cmd_retention,
    )
    action = retention.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--dry-run", action="store_true", help="list who would be erased and why; change nothing"
    )
    action.add_argument(
        "--apply", action="store_true", help="erase them everywhere, as `funnel forget` does"
    )
    retention.add_argument("--yes", action="store_true", help="do not ask for a confirmation")
    retention.add_argument("--wait", action="store_true", help=WAIT_HELP)

    forget = command(
        "forget",
        "undo a delivery (a loaded file's or a load's rows), or erase a person everywhere",
        cmd_forget,
    )
    target = forget.add_mutually_exclusive_group(required=True)
    target.add_argument("file", nargs="?", help="a landing file, as loaded")
    target.add_argument("--load-id", help="every file of one load (`funnel status` shows them)")
    target.add_argument(
        "--email", help="erase the person with this email from every file (docs/privacy.md)"
    )
    target.add_argument("--contact-id", help="erase the person with this contact id")
    target.add_argument(
        "--resume", action="store_true", help="finish an erasure that was interrupted"
    )
    forget.add_argument("--yes", action="store_true", help="do not ask for a confirmation")
    forget.add_argument("--wait", action="store_true", help=WAIT_HELP)

    export = command(
        "export-person",
        "right of access: write everything held on one person as JSON and Markdown",
        cmd_export_person,
    )
    person = export.add_mutually_exclusive_group(required=True)
    person.add_argument("--email", help="the person's email (any case or spacing)")
    person.add_argument("--contact-id", help="one of the person's contact ids")
    export.add_argument(
        "--out", default=".", help="folder to write the two files into (default: here)"
    )
    export.add_argument("--wait", action="store_true", help=WAIT_HELP)

    status = command(
        "status",
        "recent landing files and quarantined rows (reads only, creates nothing)",
        cmd_status,
    )
    status.add_argument("--limit", type=int, default=20, help="files to list (default 20)")

    ui = command("ui", "start the Dagster UI on 127.0.0.1", cmd_ui)
    ui.add_argument("--port", type=int, default=3000, help="the UI's port (default 3000)")
    ui.add_argument(
        "--stopped",
        action="store_true",
        help="keep the daily schedule and the landing sensor stopped (by default they run)",
    )
    return parser


def _home_nearly_full() -> bool:
    home = Path(os.environ.get("FUNNEL_HOME", "."))
    try:
        return shutil.disk_usage(home).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def _disk_full(error: BaseException) -> BaseException | None:
    """The error in the chain that says the disk is full, if one does; else the error itself when
    the disk holding FUNNEL_HOME is (nearly) full."""
    if _home_nearly_full():
        return error
    seen: BaseException | None = error
    while seen is not None:
        if getattr(seen, "errno", None) == errno.ENOSPC or any(
            sign in str(seen) for sign in DISK_FULL_SIGNS
        ):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _say_disk_full(command: str, detail: str) -> None:
    home = os.environ.get("FUNNEL_HOME", "FUNNEL_HOME")
    print(
        f"funnel {command}: the disk holding {home} is full ({detail}). Free some space and run"
        " again: each file loads in one transaction and publication swaps a complete file, so"
        " nothing half-written is kept and serving.duckdb is as the last good run left it.",
        file=sys.stderr,
    )


def _failed_for_lack_of_space(result) -> str | None:
    """The root cause of the run's first step or run failure that says the disk is full (any
    failure, when the disk holding FUNNEL_HOME is nearly full)."""
    nearly_full = _home_nearly_full()
    for event in result.all_events:
        error = None
        if event.is_step_failure:
            error = event.step_failure_data.error
        elif event.is_run_failure:
            error = getattr(event.event_specific_data, "error", None)
        cause = _root_cause(error) if error is not None else ""
        if cause and (nearly_full or any(sign in cause for sign in DISK_FULL_SIGNS)):
            return cause
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as error:
        full = _disk_full(error)
        if full is None:
            raise
        first_line = str(full).strip().splitlines()[0][:200]
        _say_disk_full(args.command, f"{type(full).__name__}: {first_line}")
        return EXIT_DISK_FULL


if __name__ == "__main__":
    sys.exit(main())
