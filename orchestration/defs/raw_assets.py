"""One Dagster asset per landing entity: load its new files into the `raw` schema.

Each raw asset has a blocking reconciliation check: for every file of the entity in the load
manifest, rows read = rows loaded + rows quarantined, and the raw table and the quarantine hold
exactly those rows. A failure stops the models downstream from building on a lossy load.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from orchestration.contract import ENTITIES, Entity
from orchestration.defs.resources import FunnelHomeResource
from orchestration.loading import LoadResult, connect, load_entity, reconcile
from orchestration.privacy.erasure import erasure_interrupted

RAW_GROUP = "raw"
RECONCILIATION_CHECK = "rows_reconcile"


def raw_asset_key(entity_name: str) -> list[str]:
    """The asset key of an entity's raw table; dbt sources are wired to it."""
    return ["raw", entity_name]


def load_metadata(result: LoadResult) -> dict:
    """What the Dagster UI shows for one load: files by outcome and rows by fate."""
    rejected = [f"{f.path.name}: {f.reason}" for f in result.files if f.status == "rejected"]
    return {
        "files_loaded": result.count("loaded"),
        "files_skipped": result.count("skipped"),
        "files_rejected": result.count("rejected"),
        # still being copied or too recent (docs/loading.md): loaded by a later run
        "files_waiting": len(result.waiting),
        "rows_read": result.rows_read,
        "rows_loaded": result.rows_loaded,
        "rows_quarantined": result.rows_quarantined,
        "rejected_files": MetadataValue.md("\n".join(f"- {r}" for r in rejected) or "none"),
        "table": MetadataValue.text(f"raw.{result.entity}"),
    }


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
        if erasure_interrupted(paths):
            # its landing files may be rewritten and the manifest not told yet: loading now
            # would take them for new deliveries
            raise Failure(
                f"An erasure of personal data in {paths.home} was interrupted: finish it with"
                " `funnel forget --resume` before loading."
            )
        run_id = context.run.run_id
        result = load_entity(paths.warehouse, paths.landing, entity.name, load_id=run_id)
        for file in result.files:
            if file.status == "rejected":
                context.log.warning(f"Rejected {file.path}: {file.reason}")
            elif file.status == "skipped":
                context.log.info(f"Skipped {file.path}: {file.reason}")
            else:
                context.log.info(
                    f"Loaded {file.path}: {file.rows_read} rows read, {file.rows_loaded} loaded,"
                    f" {file.rows_quarantined} quarantined"
                )
        return MaterializeResult(metadata=load_metadata(result))

    return _raw_asset


def build_reconciliation_check(entity: Entity) -> AssetChecksDefinition:
    @asset_check(
        asset=raw_asset_key(entity.name),
        name=RECONCILIATION_CHECK,
        blocking=True,
        description=(
            "For every loaded file: rows read = rows loaded + rows quarantined, and the raw table"
            " and the quarantine hold exactly the rows the load manifest records."
        ),
    )
    def _check(context: AssetCheckExecutionContext, funnel_home: FunnelHomeResource):
        with connect(funnel_home.paths.warehouse) as connection:
            mismatches = reconcile(connection, entity.name)
        lines = [
            f"- {m.file_path} (load {m.load_id}): read {m.rows_read}, manifest says"
            f" {m.rows_loaded} loaded + {m.rows_quarantined} quarantined, found {m.rows_in_raw}"
            f" in raw and {m.rows_in_quarantine} in quarantine"
            for m in mismatches
        ]
        return AssetCheckResult(
            passed=not mismatches,
            severity=AssetCheckSeverity.ERROR,
            description=None
            if not mismatches
            else "Rows are missing or unaccounted for; re-load the files listed"
            " (docs/loading.md, 'Undoing a delivery, re-loading a file').",
            metadata={
                "files_not_reconciled": len(mismatches),
                "details": MetadataValue.md("\n".join(lines) or "every file reconciles"),
            },
        )

    return _check


raw_asset_checks = [build_reconciliation_check(entity) for entity in ENTITIES.values()]
# The checks ride along with the assets: `Definitions(assets=...)` takes both.
raw_assets = [*(build_raw_asset(entity) for entity in ENTITIES.values()), *raw_asset_checks]
