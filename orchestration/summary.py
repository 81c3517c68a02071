"""What a run built and where it is, printed at the end of `funnel run` and by `funnel status`."""

from __future__ import annotations

from datetime import date

import duckdb

from orchestration.loading import MANIFEST_TABLE
from orchestration.loading.tables import column_exists
from orchestration.privacy.retention import review
from orchestration.publishing import as_of_of
from orchestration.report import LANGUAGES, REPORT_FILENAME, dated_report_name, report_name
from orchestration.settings import FunnelPaths


def table_row_counts(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Rows per table of the raw and public schemas (load bookkeeping tables left out)."""
    tables = connection.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('raw', 'marts') and table_type = 'BASE TABLE'"
        " and not starts_with(table_name, '_')"
        " order by table_schema = 'marts', table_name"
    ).fetchall()
    return [
        (
            f"{schema}.{name}",
            connection.execute(f'select count(*) from {schema}."{name}"').fetchone()[0],
        )
        for schema, name in tables
    ]


def contacts_per_stage(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Contacts per current funnel stage, once the funnel models exist."""
    if not column_exists(connection, "marts.dim_contacts", "funnel_stage"):
        return []
    return connection.execute(
        "select funnel_stage, count(*) from marts.dim_contacts group by 1 order by 2 desc"
    ).fetchall()


def load_totals(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    row = connection.execute(
        f"""
        select
            count(*) filter (where status = 'loaded'),
            count(*) filter (where status = 'rejected'),
            coalesce(sum(rows_loaded), 0),
            coalesce(sum(rows_quarantined), 0)
        from {MANIFEST_TABLE}
        """
    ).fetchone()
    return dict(
        zip(("files_loaded", "files_rejected", "rows_loaded", "rows_quarantined"), row, strict=True)
    )


def print_summary(paths: FunnelPaths, as_of: str, lang: str = "en") -> None:
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        counts = table_row_counts(connection)
        stages = contacts_per_stage(connection)
        totals = load_totals(connection)
        past_retention = review(connection).contacts
    print(f"\nThe funnel as of {as_of} is built.")
    print(
        f"Loads so far: {totals['files_loaded']} files loaded, {totals['files_rejected']} rejected,"
        f" {totals['rows_loaded']:,} rows loaded, {totals['rows_quarantined']:,} quarantined"
        " (`funnel status` lists them)."
    )
    print("\nRows per table:")
    for table, rows in counts:
        print(f"  {table:<36} {rows:>12,}")
    if stages:
        print("\nContacts per funnel stage:")
        for stage, contacts in stages:
            print(f"  {stage:<36} {contacts:>12,}")
    if past_retention:
        print(
            f"\n{len(past_retention):,} contact(s) are past the retention period of their personal"
            " data: `funnel retention --dry-run` lists them, `--apply` erases them."
        )
    print("\nOutputs:")
    print(f"  working warehouse   {paths.warehouse}")
    print(f"  landing files       {paths.landing}")
    published = as_of_of(paths.serving)
    if published is not None and published.isoformat() != as_of:
        why = (
            "a later day than this run's (`funnel run --publish` replaces it)"
            if published.isoformat() > as_of
            else "this run did not publish (its log says why)"
        )
        print(f"  published for BI    {paths.serving}  left as of {published}, {why}")
        day = date.fromisoformat(as_of)
        report = paths.reports / dated_report_name(day, lang)
        others = [dated_report_name(day, other) for other in LANGUAGES if other != lang]
    else:
        if paths.serving.exists():
            print(f"  published for BI    {paths.serving}  (open it read-only: docs/serving.md)")
        report = paths.reports / REPORT_FILENAME
        others = [report_name(other) for other in LANGUAGES]
    if report.exists():
        also = [name for name in others if (paths.reports / name).exists()]
        print(f"  leadership report   {report}" + (f"  (also {', '.join(also)})" if also else ""))
