"""One Dagster asset per landing entity: load its new files into the `raw` schema."""


from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset

from orchestration.contract import ENTITIES, Entity
from orchestration.loading import load_entity
from orchestration.resources import FunnelHomeResource

RAW_GROUP = "raw"


def raw_asset_key(entity_name: str) -> list[str]:
    """The asset key of an entity's raw table; dbt sources are wired to it."""
    return ["raw", entity_name]


def build_raw_asset(entity: Entity) -> AssetsDefinition:
    @asset(
        key=raw_asset_key(entity.name),
        group_name=RAW_GROUP,
        kinds={"duckdb"},
        description=(
            f"Raw `{entity.name}` loaded from `landing/{entity.name}/` (CSV, Parquet, JSON Lines):"
            " each file at most once by content, bad rows quarantined with their reason."
        ),
    )
    def _raw_asset(context: AssetExecutionContext, funnel_home: FunnelHomeResource):
        paths = funnel_home.paths
        result = load_entity(paths.warehouse, paths.landing, entity.name, load_id=context.run_id)
        for file in result.files:
            if file.status == "rejected":
                context.log.warning(f"Rejected {file.path}: {file.reason}")
            elif file.status == "loaded":
                context.log.info(
                    f"Loaded {file.path}: {file.rows_read} rows read, {file.rows_loaded} loaded,"
                    f" {file.rows_quarantined} quarantined"
                )
        return MaterializeResult(
            metadata={
                "files_loaded": result.count("loaded"),
                "files_skipped": result.count("skipped"),
                "files_rejected": result.count("rejected"),
                "rows_loaded": result.rows_loaded,
                "rows_quarantined": result.rows_quarantined,
                "table": MetadataValue.text(f"raw.{entity.name}"),
            }
        )

    return _raw_asset


raw_assets = [build_raw_asset(entity) for entity in ENTITIES.values()]
