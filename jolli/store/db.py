"""The database: one deferred peewee database, opened from a URL.

``JOLLI_DATABASE_URL`` (or ``DATABASE_URL``) selects it: ``sqlite:////abs/path.db`` or
``postgresql://user@host:5432/name``. Nothing configured means the embedded SQLite file
``$JOLLI_HOME/jolli.db`` (``~/.local/share/jolli`` by default), in WAL mode with foreign keys on.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import peewee
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from jolli.settings import DB_POOL_SIZE, database_url, db_pool_size

#: Every model binds to this proxy; :func:`open_database` points it at a real database.
database = peewee.DatabaseProxy()


#: ``wal_autocheckpoint`` of jolli's SQLite connections: a checkpoint inside a commit only past this many
#: log pages (40 MiB), when the passive checkpoints after each ``CHECKPOINT_EVERY`` write transactions
#: (:mod:`jolli.store.sql`) have not kept up.
WAL_BACKSTOP = 10_000


def make_database(url: str, pool_size: int = DB_POOL_SIZE) -> peewee.Database:
    """A peewee database for ``url`` (not yet connected), pooling up to ``pool_size`` connections."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path or path == ":memory:":
            raise ValueError("JOLLI_DATABASE_URL: use a SQLite file path, e.g. sqlite:////var/lib/jolli/jolli.db")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Connect per request from a per-process pool: the pragmas run once per connection, not per call.
        return PooledSqlite(
            path,
            pragmas={"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000, "synchronous": "normal",
                     "wal_autocheckpoint": WAL_BACKSTOP},
            check_same_thread=False,
            max_connections=pool_size,
            stale_timeout=300,
            timeout=30,
        )
    if scheme in ("postgres", "postgresql"):
        # Connect per request, but from a small per-process pool: close() hands the connection back.
        return PooledPostgres(
            parts.path.lstrip("/") or "jolli",
            host=parts.hostname or None,
            port=parts.port or 5432,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            prefer_psycopg3=True,
            max_connections=pool_size,
            stale_timeout=300,
            timeout=30,
        )
    raise ValueError(
        f"JOLLI_DATABASE_URL: unsupported scheme {parts.scheme!r}; use sqlite:///<path> or postgresql://..."
    )


#: A pooled PostgreSQL connection idle longer than this (seconds) is pinged (``SELECT 1``) before reuse.
PING_AFTER = 1.0

_counter = threading.local()


def statements_run() -> int:
    """How many statements this thread has run through the database (the worker asks whether a plugin hook
    that failed wrote anything it must roll back)."""
    return int(getattr(_counter, "n", 0))


class _Counting:
    """Counts each thread's statements (one attribute increment per statement)."""

    def execute_sql(self, sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        _counter.n = getattr(_counter, "n", 0) + 1
        return super().execute_sql(sql, params, *args, **kwargs)  # type: ignore[misc]


class PooledSqlite(_Counting, PooledSqliteDatabase):
    """peewee's pooled SQLite database, counting statements."""


class PooledPostgres(_Counting, PooledPostgresqlDatabase):
    """peewee's pooled PostgreSQL database, pinging on checkout only connections idle for a while.

    peewee pings every connection it takes from the pool (``SELECT 1``): one more round trip per request.
    A connection handed back less than :data:`PING_AFTER` seconds ago, open and idle (no transaction, as
    psycopg reports it), is reused as is; one idle for longer is pinged first, and discarded if the ping
    fails. This overrides the two hooks each of peewee's pools overrides per driver (``_is_closed`` at
    checkout, ``_can_reuse`` at check-in); no other private state. peewee has no public switch for the
    ping, and it is a round trip (about 40 µs on loopback) on every request of the webhook receiver, whose
    whole work on PostgreSQL is about 1 ms of CPU a delivery (``bench/bench_events_intake.py``), so the
    hooks stay.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._returned_at: dict[int, float] = {}
        super().__init__(*args, **kwargs)

    def _can_reuse(self, conn: Any) -> bool:  # at check-in, under the pool's lock
        reusable = bool(super()._can_reuse(conn))
        if reusable:
            self._returned_at[id(conn)] = time.monotonic()
        return reusable

    def _is_closed(self, conn: Any) -> bool:  # at checkout, under the pool's lock
        from psycopg.pq import TransactionStatus  # psycopg is loaded already: a PostgreSQL pool is open

        returned = self._returned_at.pop(id(conn), None)
        if (returned is not None and time.monotonic() - returned < PING_AFTER and not conn.closed
                and conn.info.transaction_status == TransactionStatus.IDLE):
            return False
        return bool(super()._is_closed(conn))

    def close_idle(self) -> None:
        super().close_idle()
        self._returned_at.clear()  # only pooled (idle) connections have an entry


class HideSqlParameters(logging.Filter):
    """peewee logs every statement at DEBUG as ``(sql, params)``: the parameters can be webhook secrets, access
    tokens or their ciphertexts, so only the statement is logged, with the number of parameters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, tuple) and len(record.msg) == 2:
            sql, params = record.msg
            record.msg = "%s -- %d parameter(s), not logged"
            record.args = (sql, len(params or ()))
        return True


_SQL_FILTER = HideSqlParameters()


def hide_sql_parameters() -> None:
    """Install :class:`HideSqlParameters` on peewee's logger (idempotent)."""
    logger = logging.getLogger("peewee")
    if _SQL_FILTER not in logger.filters:
        logger.addFilter(_SQL_FILTER)


def open_database(url: str | None = None, pool_size: int | None = None) -> peewee.Database:
    """Point the shared proxy at the database for ``url`` and return it (``url``, ``pool_size``: read from the
    environment when not given, see :mod:`jolli.settings`)."""
    hide_sql_parameters()
    if pool_size is None:
        pool_size = db_pool_size()
    db = make_database(url or database_url(), pool_size)
    database.initialize(db)
    return db


def is_postgres() -> bool:
    """Whether the shared proxy points at PostgreSQL."""
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def close_database(db: peewee.Database | None = None) -> None:
    """Really close ``db`` (default: the shared one), pooled connections included (before a fork, at exit)."""
    target = db if db is not None else database.obj
    if target is None:
        return
    if not target.is_closed():
        target.close()
    close_all = getattr(target, "close_all", None)
    if close_all is not None:
        close_all()
