"""The result of a suite on its table, and of each of its expectations, as an operator needs it."""

from dataclasses import dataclass, field
from typing import Any

from orchestration.quality.suites import BLOCKING_SEVERITY, ROW_COUNT_EXPECTATION, Suite


@dataclass
class ExpectationOutcome:
    """One expectation's result, as an operator needs it."""

    expectation_type: str
    description: str
    severity: str
    success: bool
    column: str | None = None
    unexpected_count: int | None = None
    element_count: int | None = None
    observed_value: Any = None
    sample: list = field(default_factory=list)
    failing_rows_sql: str = ""
    error: str | None = None

    @property
    def label(self) -> str:
        return self.description or self.expectation_type


@dataclass
class SuiteOutcome:
    """One suite's result on its table."""

    suite: Suite
    outcomes: list[ExpectationOutcome]
    parameters: dict
    baseline_row_count: int | None = None
    duration_s: float = 0.0

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def blocking_failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.failed if o.severity == BLOCKING_SEVERITY]

    @property
    def warnings_failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.failed if o.severity != BLOCKING_SEVERITY]

    @property
    def row_count(self) -> int | None:
        for outcome in self.outcomes:
            if outcome.expectation_type == ROW_COUNT_EXPECTATION and outcome.error is None:
                return int(outcome.observed_value)
        return None

    @property
    def accepted_row_count(self) -> int | None:
        """The baseline the next run compares with: this count if it passed, else the old one."""
        for outcome in self.outcomes:
            if outcome.expectation_type == ROW_COUNT_EXPECTATION:
                return self.row_count if outcome.success else self.baseline_row_count
        return None
