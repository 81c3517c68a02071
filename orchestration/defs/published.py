"""The publication to `serving.duckdb` as a Dagster asset (the copy itself is
`orchestration/publishing.py`).

Gating: the asset depends on every public table's asset. When a blocking check upstream fails
(a dbt test with severity error fails the dbt step; a separate blocking asset check skips its
downstream), Dagster does not run this asset, and the previous publication stays in place.
Publication only moves forward: a base without contacts is never published, and a run as of a
day earlier than the published one leaves the publication alone unless its config says
`replace_later_publication`. Only the tables whose content changed since the previous
publication are copied again.

After publication, `warehouse/compacted` rewrites the working warehouse into a new file when
freed blocks fill more than a share of it (`orchestration/compaction.py`), so that the file
stays the size of its data run after run.
"""

from collections.abc import Iterable, Sequence

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.compaction import (
    DEFAULT_MAX_FREE_SHARE,
    DEFAULT_MIN_FREE_BYTES,
    compact_if_needed,
)
from orchestration.defs.resources import FunnelHomeResource
from orchestration.publishing import (
    PUBLIC_SCHEMA,
    as_of_of,
    public_table_docs,
    publish,
    should_publish,
)

SERVING_GROUP = "serving"
PUBLISHED_KEY = AssetKey(["serving", "published"])
WAREHOUSE_GROUP = "warehouse"
COMPACTED_KEY = AssetKey(["warehouse", "compacted"])


class PublishConfig(Config):
    """Run configuration of the publication."""

    replace_later_publication: bool = False
    """Publish even when serving.duckdb holds a later as-of day (`funnel run --publish`)."""


def public_table_keys(asset_keys: Iterable[AssetKey]) -> list[AssetKey]:
    """Every public table: the dbt models of schema `marts` (dim_, fct_, rpt_), as Dagster
    assets."""
    return sorted(
        (key for key in asset_keys if key.path[0] == PUBLIC_SCHEMA),
        key=lambda key: key.to_user_string(),
    )


def build_published_asset(public_tables: Sequence[AssetKey]) -> AssetsDefinition:
    """The publication asset, downstream of the given public tables' assets."""

    @asset(
        key=PUBLISHED_KEY,
        group_name=SERVING_GROUP,
        deps=public_tables,
        kinds={"duckdb"},
        description=(
            "The public tables copied to FUNNEL_HOME/serving.duckdb for BI, without personal"
            " identifiers, swapped in atomically after the checks upstream passed."
        ),
    )
    def published(
        context: AssetExecutionContext, config: PublishConfig, funnel_home: FunnelHomeResource
    ) -> MaterializeResult:
        paths = funnel_home.paths
        replace = config.replace_later_publication
        if not should_publish(paths.warehouse, paths.serving, replace_later=replace):
            kept = as_of_of(paths.serving)
            context.log.info(
                f"Left {paths.serving} as of {kept}: this run is as of {as_of_of(paths.warehouse)},"
                " an earlier day (`funnel run --publish` replaces it)."
            )
            return MaterializeResult(
                metadata={"published": False, "kept_as_of": MetadataValue.text(str(kept))}
            )
        tables = [key.path[-1] for key in public_tables]
        publication = publish(
            paths.warehouse,
            paths.serving,
            tables,
            run_id=context.run.run_id,
            docs=public_table_docs(),
        )
        start = "a copy of the previous" if publication.started_from_previous else "an empty file"
        context.log.info(
            f"Published {len(tables)} tables to {publication.path}, from {start}: copied"
            f" {len(publication.copied_tables)} ({len(publication.changed_tables)} changed),"
            f" updated {len(publication.updated_tables)} by rows,"
            f" kept {len(publication.kept_tables)} unchanged"
        )
        return MaterializeResult(
            metadata={
                "published": True,
                "path": MetadataValue.path(str(publication.path)),
                "rows": MetadataValue.json(publication.row_counts),
                "tables_changed": MetadataValue.json(publication.changed_tables),
                "tables_copied": MetadataValue.json(publication.copied_tables),
                "tables_updated_by_rows": MetadataValue.json(publication.updated_tables),
                "tables_kept_unchanged": MetadataValue.json(publication.kept_tables),
                "personal_columns_left_out": MetadataValue.json(
                    {table: cols for table, cols in publication.dropped_columns.items() if cols}
                ),
                "read_only_url": MetadataValue.text(
                    f"duckdb:///{publication.path}?access_mode=read_only"
                ),
            }
        )

    return published


class CompactConfig(Config):
    """Run configuration of the warehouse's compaction."""

    max_free_share: float = DEFAULT_MAX_FREE_SHARE
    """Rewrite warehouse.duckdb when more than this share of its blocks are free..."""

    min_free_mib: int = DEFAULT_MIN_FREE_BYTES >> 20
    """...and at least this many MiB."""


@asset(
    key=COMPACTED_KEY,
    group_name=WAREHOUSE_GROUP,
    deps=[PUBLISHED_KEY],
    kinds={"duckdb"},
    description=(
        "FUNNEL_HOME/warehouse.duckdb rewritten into a new file, swapped in atomically, when"
        " freed blocks fill more than a share of it: the file keeps the size of its data."
    ),
)
def compacted_warehouse(
    context: AssetExecutionContext, config: CompactConfig, funnel_home: FunnelHomeResource
) -> MaterializeResult:
    compaction = compact_if_needed(
        funnel_home.paths.warehouse, config.max_free_share, config.min_free_mib << 20
    )
    mib = 2**20
    verb = "Rewrote" if compaction.rewritten else "Left"
    if compaction.skipped_because:
        context.log.warning(
            f"Left {compaction.path} as it is although {compaction.free_share_before:.0%} of it"
            f" is free: {compaction.skipped_because} for its copy."
        )
    context.log.info(
        f"{verb} {compaction.path}: {compaction.free_share_before:.0%} of it was free,"
        f" {compaction.bytes_before / mib:.1f} MiB -> {compaction.bytes_after / mib:.1f} MiB"
        f" in {compaction.seconds:.1f} s"
    )
    return MaterializeResult(
        metadata={
            "rewritten": compaction.rewritten,
            "skipped_because": MetadataValue.text(compaction.skipped_because or "-"),
            "free_share_before": MetadataValue.float(round(compaction.free_share_before, 4)),
            "size_before_mib": MetadataValue.float(round(compaction.bytes_before / mib, 1)),
            "size_after_mib": MetadataValue.float(round(compaction.bytes_after / mib, 1)),
            "seconds": MetadataValue.float(round(compaction.seconds, 2)),
        }
    )
