"""A score sitting exactly on a threshold gives the same answer whatever the as-of day.

The engagement score is compared with the MQL and recycle thresholds in
`int_engagement_instants_scored`, which does not read the as-of day (the funnel chain keeps the
facts after it; its readers end with it). This compiles that model for two as-of days two
years apart, checks that the SQL is the same, and runs it on DuckDB on a case whose score is
exactly the MQL score after decay (a form one half-life before a demo request and an email reply
at one instant: 10 + 30 + 20).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")
AS_OF_DAYS = ("2025-01-10", "2026-12-31")
# when the build started (the `built_at` column): the only value that differs between compilations
BUILD_STARTED_AT = re.compile(r"'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}'")


def _compiled(tmp_path_factory: pytest.TempPathFactory, as_of: str) -> str:
    target = tmp_path_factory.mktemp("target")
    home = tmp_path_factory.mktemp("home")
    subprocess.run(
        [DBT, "compile", "--quiet", "--select", "int_engagement_instants_scored",
         "--vars", f"{{as_of: {as_of}, engagement_half_life_days: 45, mql_score: 60}}",
         "--profiles-dir", str(PROJECT_DIR), "--target-path", str(target)],
        cwd=PROJECT_DIR, env={**os.environ, "FUNNEL_HOME": str(home)}, check=True,
    )  # fmt: skip
    compiled = next(target.glob("compiled/**/int_engagement_instants_scored.sql"))
    return BUILD_STARTED_AT.sub("'2000-01-01 00:00:00.000000'", compiled.read_text())


@pytest.fixture(scope="module")
def instants_sql(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return [_compiled(tmp_path_factory, day) for day in AS_OF_DAYS]


def test_the_scores_do_not_read_the_as_of_day(instants_sql: list[str]) -> None:
    first, last = instants_sql
    assert first == last
    assert not any(day in first for day in AS_OF_DAYS)


def test_a_score_exactly_on_the_mql_threshold_reaches_it(instants_sql: list[str]) -> None:
    connection = duckdb.connect()
    connection.execute("attach ':memory:' as warehouse")
    connection.execute("create schema warehouse.intermediate")
    connection.execute("create schema warehouse.seeds")
    connection.execute(
        "create table warehouse.seeds.engagement_event_points as"
        f" select * from read_csv('{PROJECT_DIR / 'seeds' / 'engagement_event_points.csv'}')"
    )
    connection.execute(
        """
        create table warehouse.intermediate.int_engagement_events_attributed as
        select * from (values
            ('c1', 'form_submitted', 20, true, false, timestamp '2024-11-26 09:30:00'),
            ('c1', 'demo_requested', 30, true, true, timestamp '2025-01-10 09:30:00'),
            ('c1', 'email_replied', 20, true, false, timestamp '2025-01-10 09:30:00')
        ) as events(contact_id, event_type, points, is_interest_signal, is_high_intent, occurred_at)
        """
    )
    rows = connection.execute(
        f"select score_after_instant, is_mql_score from ({instants_sql[0]}) as scored"
        " where occurred_at = timestamp '2025-01-10 09:30:00'"
    ).fetchall()
    assert rows == [(60.0, True)]
