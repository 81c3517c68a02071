"""An erasure rewrites a landing file without the people erased and nothing else."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.privacy.erasure import ErasureRequest, _rewrite_parquet


def _request(contact_ids: list[str], emails: list[str]) -> ErasureRequest:
    return ErasureRequest(
        request_id="r",
        requested_at="2026-12-01T00:00:00+00:00",
        contact_ids=contact_ids,
        emails=emails,
        needles=[*contact_ids, *emails],
        values=[],
    )


def _rows(path: Path) -> list[tuple]:
    with duckdb.connect() as connection:
        return connection.execute(f"select * from '{path}' order by all").fetchall()


def test_a_parquet_rewrite_keeps_other_rows_with_null_text(tmp_path: Path) -> None:
    # a row whose text columns are null matched nobody: `not (condition)` once dropped it
    path = tmp_path / "contacts.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"""copy (select * from (values
                ('c1', 'ann@acme.fr', 'Ann'), ('c2', null, 'Bob'), ('c3', 'cy@acme.fr', null),
                (null, null, null)
            ) t(contact_id, email, first_name)) to '{path}' (format parquet)"""
        )
    changed, removed = _rewrite_parquet(path, _request(["c1"], ["ann@acme.fr"]))
    assert changed and removed == {"c1"}
    assert _rows(path) == [("c2", None, "Bob"), ("c3", "cy@acme.fr", None), (None, None, None)]


def test_identifiers_are_matched_literally_in_a_batch(tmp_path: Path) -> None:
    # many people in one request: their identifiers' dots, pluses and brackets are text, not
    # patterns, and a value merely containing one of them is theirs
    path = tmp_path / "events.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"""copy (select * from (values
                ('e1', 'A.B+tag@Acme.fr'), ('e2', 'axb+tag@acme.fr'), ('e3', 'see (c-9) here'),
                ('e4', 'c-99'), ('e5', 'c-9x'), ('e6', 'other@acme.fr')
            ) t(event_id, email) ) to '{path}' (format parquet)"""
        )
    changed, _ = _rewrite_parquet(path, _request(["(c-9)"], ["a.b+tag@acme.fr"]))
    assert changed
    assert [r[0] for r in _rows(path)] == ["e2", "e4", "e5", "e6"]
