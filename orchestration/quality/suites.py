"""The suite model: one JSON file under `expectations/` per protected table, its expectations and
their severity."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.settings import PROJECT_DIR

if TYPE_CHECKING:  # Dagster is imported where assets are: not by the checks' worker
    from dagster import AssetKey

EXPECTATIONS_DIR = PROJECT_DIR / "expectations"
CHECK_NAME = "gx_expectations"

ROW_COUNT_EXPECTATION = "expect_table_row_count_to_be_between"
UNEXPECTED_ROWS_EXPECTATION = "unexpected_rows_expectation"
BLOCKING_SEVERITY = "critical"


@dataclass(frozen=True)
class Suite:
    """One suite file: the expectations that protect one table."""

    path: Path
    definition: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.definition["name"]

    @property
    def table(self) -> str:
        """`schema.table` in the working warehouse."""
        return self.definition.get("meta", {}).get("table", self.name)

    @property
    def asset_key(self) -> "AssetKey":
        """Schema and table are the asset key: `marts.dim_contacts` is `marts/dim_contacts`."""
        from dagster import AssetKey

        return AssetKey(self.table.split("."))

    @property
    def layer(self) -> str:
        return self.table.split(".")[0]

    @property
    def expectations(self) -> list[dict]:
        return list(self.definition["expectations"])

    @property
    def is_blocking(self) -> bool:
        return any(severity_of(e) == BLOCKING_SEVERITY for e in self.expectations)

    @property
    def description(self) -> str:
        text = self.definition.get("meta", {}).get("description", "")
        counts = [severity_of(e) for e in self.expectations]
        return (
            f"great-expectations suite `expectations/{self.path.name}`: {text} "
            f"{counts.count('critical')} blocking and {counts.count('warning')} warning"
            " expectations."
        ).strip()


def severity_of(expectation: Mapping[str, Any]) -> str:
    """GX's own default is critical: an expectation is blocking unless it says otherwise."""
    return str(expectation.get("severity", BLOCKING_SEVERITY)).lower()


def load_suites(folder: Path = EXPECTATIONS_DIR) -> list[Suite]:
    """Every suite under `folder`, sorted by name; a suite that does not parse fails loudly."""
    suites = []
    for path in sorted(folder.glob("*.json")):
        try:
            definition = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON: {error}") from error
        if "name" not in definition or "expectations" not in definition:
            raise ValueError(f"{path} is not a suite: it needs `name` and `expectations`")
        if definition["name"] != path.stem:
            raise ValueError(f"{path}: the suite's name must be its file name, {path.stem!r}")
        suites.append(Suite(path=path, definition=definition))
    return suites
