"""The publication to `serving.duckdb` as a Dagster asset (the copy itself is
`orchestration/publishing.py`).

Gating: the asset depends on every public table's asset. When a blocking check upstream fails
(a dbt test with severity error fails the dbt step; a separate blocking asset check skips its
downstream), Dagster does not run this asset, and the previous publication stays in place.
"""

from collections.abc import Iterable, Sequence

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.defs.resources import FunnelHomeResource
from orchestration.publishing import PUBLIC_SCHEMA, public_table_docs, publish

SERVING_GROUP = "serving"
PUBLISHED_KEY = AssetKey(["serving", "published"])


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
        context: AssetExecutionContext, funnel_home: FunnelHomeResource
    ) -> MaterializeResult:
        paths = funnel_home.paths
        tables = [key.path[-1] for key in public_tables]
        publication = publish(
            paths.warehouse,
            paths.serving,
            tables,
            run_id=context.run.run_id,
            docs=public_table_docs(),
        )
        context.log.info(f"Published {len(tables)} tables to {publication.path}")
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(publication.path)),
                "rows": MetadataValue.json(publication.row_counts),
                "personal_columns_left_out": MetadataValue.json(
                    {table: cols for table, cols in publication.dropped_columns.items() if cols}
                ),
                "read_only_url": MetadataValue.text(
                    f"duckdb:///{publication.path}?access_mode=read_only"
                ),
            }
        )

    return published
