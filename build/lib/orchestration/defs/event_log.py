"""Dagster's SQLite event log, kept open: the run's history in DAGSTER_HOME without a file opened,
synced and closed for every event.

Dagster's own SQLite event log opens a new connection for each event (and two or three for an
asset or check event), commits with a full sync and closes it; closing the last connection to a
WAL database checkpoints it, another sync. A run of the funnel writes about a thousand events
(a dbt test is an asset check, planned then evaluated), so on a small base the run spent more
time syncing its own history than building the warehouse. This storage keeps one pooled
connection per database file and commits in WAL mode with `synchronous=NORMAL`: a commit is
durable once the WAL is synced at the next checkpoint; a crashed process loses nothing, a power
cut at worst the last events, and the database is never corrupted. Same files, same schema:
`funnel ui` and Dagster's own storage read them as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS, create_db_conn_string
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine


def _commit_without_full_sync(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("pragma synchronous = normal")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one engine (and pooled connection) per database file."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: dict[str, Engine] = {}  # before Dagster's own init, which connects
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, str]
    ) -> PooledSqliteEventLogStorage:
        return cls(config_value["base_dir"], inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                create_db_conn_string(self._base_dir, shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                pool_size=1,
            )
            event.listen(engine, "connect", _commit_without_full_sync)
            self._engines[shard] = engine
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    def has_table(self, table_name: str) -> bool:
        """Asked before each check event (whether the schema knows asset checks): a table once
        seen stays. Called inside transactions too, so it takes no lock."""
        if table_name not in self._tables_seen:
            engine = self._engine(INDEX_SHARD_NAME)
            with engine.connect() as connection:
                if engine.dialect.has_table(connection, table_name):
                    self._tables_seen.add(table_name)
        return table_name in self._tables_seen

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
