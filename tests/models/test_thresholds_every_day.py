"""A score sitting exactly on a threshold gives the same answer whatever the as-of day.

The engagement score is compared with the MQL and recycle thresholds in
`int_engagement_instants_scored`. This compiles that model once and runs its SQL on DuckDB for
every as-of day over two years, on a case whose score is exactly the MQL score after decay
(a form one half-life before a demo request and an email reply at one instant: 10 + 30 + 20).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")
COMPILED_AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def instants_sql(tmp_path_factory: pytest.TempPathFactory) -> str:
    target = tmp_path_factory.mktemp("target")
    home = tmp_path_factory.mktemp("home")
    subprocess.run(
        [DBT, "compile", "--quiet", "--select", "int_engagement_instants_scored",
         "--vars", f"{{as_of: {COMPILED_AS_OF}, engagement_half_life_days: 45, mql_score: 60}}",
         "--profiles-dir", str(PROJECT_DIR), "--target-path", str(target)],
        cwd=PROJECT_DIR, env={**os.environ, "FUNNEL_HOME": str(home)}, check=True,
    )  # fmt: skip
    compiled = next(target.glob("compiled/**/int_engagement_instants_scored.sql"))
    sql = compiled.read_text()
    assert f"'{COMPILED_AS_OF}'" in sql, "the as-of day is no longer where this test expects it"
    return sql


def test_a_score_exactly_on_the_mql_threshold_reaches_it_on_every_as_of_day(
    instants_sql: str,
) -> None:
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
    answers = set()
    first_day = date(2025, 1, 10)
    for offset in range(730):
        day = (first_day + timedelta(days=offset)).isoformat()
        sql = instants_sql.replace(f"'{COMPILED_AS_OF}'", f"'{day}'")
        rows = connection.execute(
            f"select score_after_instant, is_mql_score from ({sql}) as scored"
            " where occurred_at = timestamp '2025-01-10 09:30:00'"
        ).fetchall()
        answers.add(tuple(rows))
    assert answers == {((60.0, True),)}
