"""What an operator sees: the raw asset's metadata, its reconciliation check, `funnel status`."""

from __future__ import annotations

from pathlib import Path

from dagster import materialize
from loading_builders import EVENT_HEADER, csv_text, event_row

from orchestration.contract import ENGAGEMENT_EVENTS
from orchestration.defs.raw_assets import (
    RECONCILIATION_CHECK,
    build_raw_asset,
    build_reconciliation_check,
)
from orchestration.defs.resources import FunnelHomeResource
from orchestration.load_status import print_load_status
from orchestration.loading import connect
from orchestration.settings import FunnelPaths


def _landing(home: Path) -> FunnelPaths:
    paths = FunnelPaths(home)
    folder = paths.landing / "engagement_events"
    folder.mkdir(parents=True)
    rows = [event_row(1), event_row(2), [*event_row(3)[:2], "yesterday", *event_row(3)[3:]]]
    (folder / "events.csv").write_text(csv_text(EVENT_HEADER, rows))
    (folder / "broken.csv").write_text("event_id,contact_id\ne1,c1\n")
    (paths.landing / "leads").mkdir()
    return paths


def _run(paths: FunnelPaths):
    return materialize(
        [build_raw_asset(ENGAGEMENT_EVENTS), build_reconciliation_check(ENGAGEMENT_EVENTS)],
        resources={"funnel_home": FunnelHomeResource(home=str(paths.home))},
        raise_on_error=False,
    )


def test_the_raw_asset_reports_its_rows_and_passes_its_check(funnel_home: Path) -> None:
    paths = _landing(funnel_home)
    result = _run(paths)
    assert result.success
    [materialization] = result.asset_materializations_for_node("raw__engagement_events")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert metadata["files_loaded"] == 1
    assert metadata["files_rejected"] == 1
    assert (metadata["rows_read"], metadata["rows_loaded"], metadata["rows_quarantined"]) == (
        3,
        2,
        1,
    )
    assert "broken.csv: missing required column(s)" in metadata["rejected_files"]
    [evaluation] = result.get_asset_check_evaluations()
    assert (evaluation.check_name, evaluation.passed) == (RECONCILIATION_CHECK, True)


def test_the_check_fails_when_raw_rows_went_missing(funnel_home: Path) -> None:
    paths = _landing(funnel_home)
    _run(paths)
    with connect(paths.warehouse) as connection:
        connection.execute("delete from raw.engagement_events where event_id = 'e1'")
    result = _run(paths)  # nothing new to load; the check looks at every loaded file
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.metadata["files_not_reconciled"].value == 1


def test_status_lists_files_quarantine_reasons_and_ignored_folders(
    funnel_home: Path, capsys
) -> None:
    paths = _landing(funnel_home)
    _run(paths)
    print_load_status(paths, limit=10)
    out = capsys.readouterr().out
    assert "engagement_events | events.csv | loaded | 3 | 2 | 1 |" in out
    assert "engagement_events | broken.csv | rejected | 0 | 0 | 0 | missing required" in out
    assert "engagement_events  unparseable_value" in out
    assert "leads/" in out
    assert "do not reconcile" not in out
