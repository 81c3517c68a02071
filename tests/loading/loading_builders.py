"""Builders for landing files and a warehouse to query, shared by the loading tests."""

from __future__ import annotations

from pathlib import Path

import duckdb

EVENT_HEADER = ["event_id", "event_type", "occurred_at", "contact_id", "email", "channel"]


def event_row(i: int) -> list[str]:
    """A clean engagement event; `i` makes it unique."""
    return [f"e{i}", "page_viewed", f"2025-03-{1 + i % 28:02d}T10:00:00Z", f"c{i}", "", "web"]


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    return "".join(delimiter.join(row) + "\n" for row in [header, *rows])


class Landing:
    """A landing folder and a warehouse next to it, for one test."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "landing"
        self.warehouse = root / "warehouse.duckdb"
        self.dir.mkdir(parents=True)

    def write(self, entity: str, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        folder = self.dir / entity
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list | None = None):
        return self.query(sql, params)[0][0]
