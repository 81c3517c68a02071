"""A run on a clean base says nothing alarming: no warning line from Dagster, dbt, Python or GX.

A warning nobody acts on teaches operators to ignore warnings. On a base without bad rows, the
only lines that may mention a warning are the counts that say there were none.
"""

from __future__ import annotations

import re

from quality_base import CleanBase

# the lines that report zero warnings: dbt's summary and the quality checks' counts
NO_WARNING_COUNTS = re.compile(r"\bWARN=0\b|\b0 warning failed\b")


def warning_lines(output: str) -> list[str]:
    return [
        line
        for line in output.splitlines()
        if re.search("warn", NO_WARNING_COUNTS.sub("", line), re.IGNORECASE)
    ]


def test_the_rule_catches_what_a_warning_looks_like() -> None:
    found = warning_lines(
        "\n".join(
            [
                "Done. PASS=240 WARN=0 ERROR=0 SKIP=0 NO-OP=3 TOTAL=243",
                "raw.contacts: 5 expectations, 0 blocking and 0 warning failed, in 0.13s",
                "52 of 242 WARN 2 plausible_date_stg_landing__contacts_created_at",
                "Done. PASS=230 WARN=10 ERROR=0",
                "raw.contacts: 5 expectations, 0 blocking and 3 warning failed, in 0.11s",
                "setuptools/dist.py:759: SetuptoolsDeprecationWarning: License classifiers",
                "2026-12-04 08:40:09 +0000 - dagster - WARNING - funnel_job - ...",
            ]
        )
    )
    assert len(found) == 5


def test_a_clean_run_prints_no_warning_line(clean_base: CleanBase) -> None:
    assert clean_base.result.returncode == 0
    for stream in (clean_base.result.stdout, clean_base.result.stderr):
        assert warning_lines(stream) == []
