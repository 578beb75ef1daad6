"""Versioned schema migrations: every ``jolli/store/migrations/NNNN_*.py``, applied once, in order.

Built on peewee's ``playhouse.migrations`` runner: a migration module defines ``up(migrator, db)`` (a
``playhouse.migrate.SchemaMigrator`` and the real database), runs in a transaction (unless it sets
``atomic = False``) and is recorded by name in the ``schema_migration`` table. New tables are created from
frozen model copies declared inside the migration, never from the live models, so an old migration
keeps meaning what it meant. :func:`upgrade` is safe to run twice and from several processes at once:
a lock (PostgreSQL advisory lock, or a file lock beside the SQLite file) serialises runners.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from pathlib import Path

import peewee
from playhouse.migrations import Migration, Runner

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
HISTORY_TABLE = "schema_migration"
#: Any constant shared by every jolli process: the key of the PostgreSQL advisory lock.
_PG_LOCK_KEY = 0x6A6F6C6C69  # "jolli"


def _real(database: peewee.Database | peewee.DatabaseProxy) -> peewee.Database:
    obj = database.obj if isinstance(database, peewee.DatabaseProxy) else database
    if not isinstance(obj, peewee.Database):
        raise RuntimeError("the database is not open: call jolli.store.db.open_database() first")
    return obj


def runner(database: peewee.Database | peewee.DatabaseProxy, directory: Path | str | None = None) -> Runner:
    """peewee's migration runner over jolli's migrations (or ``directory``, for tests)."""
    return Runner(_real(database), directory=str(directory or MIGRATIONS_DIR), table_name=HISTORY_TABLE)


@contextlib.contextmanager
def _exclusive(db: peewee.Database) -> Iterator[None]:
    """One migration runner at a time across processes."""
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_lock(%s)", (_PG_LOCK_KEY,))
        try:
            yield
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (_PG_LOCK_KEY,))
    elif isinstance(db, peewee.SqliteDatabase):
        from filelock import FileLock

        with FileLock(str(db.database) + ".migrate.lock", timeout=120):
            yield
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        yield


def _connected(db: peewee.Database) -> contextlib.AbstractContextManager[object]:
    return db.connection_context() if db.is_closed() else contextlib.nullcontext()


def upgrade(
    database: peewee.Database | peewee.DatabaseProxy,
    target: str | None = None,
    directory: Path | str | None = None,
) -> list[str]:
    """Apply every pending migration (up to and including ``target``); return the names applied."""
    db = _real(database)
    with _connected(db), _exclusive(db):
        applied: list[str] = runner(db, directory).up(target)
    for name in applied:
        log.info("applied migration %s", name)
    return applied


def status(database: peewee.Database | peewee.DatabaseProxy, directory: Path | str | None = None) -> list[tuple[str, bool]]:
    """Every known migration in order, with whether it is applied."""
    db = _real(database)
    with _connected(db):
        return [(m.name, m.applied is not None) for m in runner(db, directory).status() if m.path is not None]


def pending(database: peewee.Database | peewee.DatabaseProxy) -> list[str]:
    """Names of the migrations not applied yet."""
    return [name for name, applied in status(database) if not applied]


@functools.cache
def shipped() -> tuple[str, ...]:
    """The names of the migrations this version of jolli ships, in order (read once per process)."""
    return tuple(m.name for m in Migration.load_directory(str(MIGRATIONS_DIR)))


def not_applied(database: peewee.Database | peewee.DatabaseProxy) -> list[str]:
    """The shipped migrations the database has not applied, in one query (for the health check)."""
    applied = {row[0] for row in _real(database).execute_sql(f'SELECT name FROM "{HISTORY_TABLE}"').fetchall()}
    return [name for name in shipped() if name not in applied]
