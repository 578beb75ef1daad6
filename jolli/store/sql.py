"""The store's one SQL helper: plain statements for the hot paths, and write transactions.

Plain SQL serves the paths where building statements with the query builder cost more than running them
(the receiver, claiming, leases, audit rows). Placeholders are written ``?`` and turned into the driver's
style; times are passed as naive UTC, the way the models store them.

Write transactions (:func:`write_tx`) behave the same on SQLite and PostgreSQL. On SQLite a transaction
that reads and then writes must take the write lock up front (``BEGIN IMMEDIATE``), or two of them can
deadlock on the upgrade. SQLite has a single writer and a waiting writer polls (1, 2, 5, 10 ... ms), which
leaves the database idle between transactions under load from several processes; so these transactions
first queue on an OS file lock next to the database file (``flock``): waiters sleep in the kernel and the
next one starts the moment the previous one commits. PostgreSQL uses an ordinary transaction. Nested calls
become savepoints. A single insert made outside a transaction (:func:`insert_id`) is a transaction of its
own, queued on the same file lock; on SQLite it is one call into the library, with no ``BEGIN`` and
``COMMIT`` of its own and nothing run in Python between its write and its commit. That matters under
``jolli serve``'s threads: the library lets go of Python's interpreter lock during each call, and a writer
holding the write lock has to win it back after each one, from another thread of its process that may be
parsing a delivery, while every other writer waits (``bench/bench_events_intake.py``, 32 threads: jolli's
intake went from 67-71% of the floor's rate to 81-82% when the common delivery became one such insert).

SQLite copies its write-ahead log back into the database file (a checkpoint, with two ``fsync``) from the
commit that makes the log pass ``wal_autocheckpoint`` pages: inside that transaction, so every other
writer waits for it (3-4 ms, once every ~100 deliveries). So jolli's connections checkpoint by themselves
only far later (:data:`jolli.store.db.WAL_BACKSTOP` pages, for writes made outside :func:`write_tx` and
:func:`insert_id`), and every :data:`CHECKPOINT_EVERY`-th write of a process through them runs a passive
checkpoint just after it has released the lock, while the others go on writing
(``bench/bench_events_intake.py`` under 32 threads: the lock is held 265 µs on average instead of 350,
1.7 ms at the 99th percentile instead of 3.5).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import peewee

from jolli.store.db import database

M = TypeVar("M", bound=peewee.Model)


def sql(text: str) -> str:
    """``text`` with ``?`` placeholders in the open database's style (converted once per text and style)."""
    param = database.param
    return text if param == "?" else _converted(text, param)


@functools.lru_cache(maxsize=512)
def _converted(text: str, param: str) -> str:
    return text.replace("?", param)


def rows(text: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
    """Run a statement and return every row."""
    return list(database.execute_sql(sql(text), tuple(params)).fetchall())


def execute(text: str, params: tuple[Any, ...] | list[Any] = ()) -> int:
    """Run a statement and return how many rows it changed."""
    return int(database.execute_sql(sql(text), tuple(params)).rowcount)


def naive(value: datetime) -> datetime:
    """A datetime as stored: naive UTC (an aware one converted to UTC first; a naive one is taken as UTC)."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def columns(model: type[peewee.Model]) -> list[str]:
    """The model's column names, in declaration order."""
    return [field.column_name for field in model._meta.sorted_fields]


def instance(model: type[M], names: list[str], row: tuple[Any, ...]) -> M:
    """A model instance from a raw row, each value converted as the field reads it, built as peewee's own
    cursor wrapper builds the rows of a query (no defaults, then no field marked changed: nothing to save).
    The one place jolli touches peewee's change set."""
    by_column = model._meta.columns
    values = {by_column[name].name: by_column[name].python_value(value) for name, value in zip(names, row, strict=True)}
    obj = model(__no_default__=True, **values)
    cast(Any, obj)._dirty.clear()
    return obj


def in_org(model: type[M], object_id: int, org_id: int) -> M | None:
    """The ``model`` row ``object_id`` when it belongs to org ``org_id``, else ``None`` (fixed SQL, no query
    building: every request reads one)."""
    names = columns(model)
    found = rows(f"SELECT {', '.join(names)} FROM {model._meta.table_name} WHERE id = ? AND org_id = ?",
                 (object_id, org_id))
    return instance(model, names, found[0]) if found else None


#: One statement and its parameters, to run alone (:func:`execute`) or with others (:func:`batch`).
Statement = tuple[str, tuple[Any, ...]]


def inserts(table: str, names: list[str], records: list[tuple[Any, ...]], chunk: int = 500) -> list[Statement]:
    """``INSERT INTO table (names) VALUES (...), (...)``, one statement per ``chunk`` records."""
    one = "(" + ", ".join("?" for _ in names) + ")"
    statements = []
    for start in range(0, len(records), chunk):
        part = records[start : start + chunk]
        params = tuple(value for record in part for value in record)
        statements.append((f"INSERT INTO {table} ({', '.join(names)}) VALUES " + ", ".join(one for _ in part),
                           params))
    return statements


def insert_many(table: str, names: list[str], records: list[tuple[Any, ...]], chunk: int = 500) -> None:
    """Run :func:`inserts`."""
    batch(inserts(table, names, records, chunk))


_log = logging.getLogger("peewee")


def batch(statements: list[Statement]) -> list[int]:
    """Run ``statements`` in order and return how many rows each changed; on PostgreSQL in one round trip
    (a client-side-bound cursor sends them as one query), on SQLite (in-process) one after the other."""
    if not statements:
        return []
    if len(statements) == 1 or database.param == "?":
        return [execute(text, params) for text, params in statements]
    import psycopg

    text = "; ".join(sql(t) for t, _ in statements)
    _log.debug((text, "(parameters not logged)"))
    with psycopg.ClientCursor(database.connection()) as cursor:
        cursor.execute(text, [value for _, params in statements for value in params])
        counts = [cursor.rowcount]
        while cursor.nextset():
            counts.append(cursor.rowcount)
    return counts


_thread_lock = threading.Lock()
_lock_file: tuple[int, int, str] | None = None  # (pid, fd, path)
#: A passive checkpoint after every this many writes of a process (SQLite: transactions and inserts alone).
CHECKPOINT_EVERY = 100
_writes = 0


def write_tx() -> Any:
    """A context manager: one write transaction (a savepoint when already inside one)."""
    db = database.obj
    if isinstance(db, peewee.SqliteDatabase) and db.transaction_depth() == 0:
        return _sqlite_write(db)
    return database.atomic()


@contextlib.contextmanager
def _sqlite_write(db: peewee.SqliteDatabase) -> Iterator[Any]:
    with _writer(db), db.atomic("IMMEDIATE") as tx:
        yield tx


def insert_id(text: str, params: tuple[Any, ...]) -> int | None:
    """Run one ``INSERT`` of one row (``text`` without ``RETURNING``, typically ``ON CONFLICT DO NOTHING``);
    the new row's id, or ``None`` when it inserted nothing.

    Outside a transaction the statement is a transaction of its own: on SQLite one call into the library,
    made under the writers' lock like :func:`write_tx` (with nothing between its write and its commit for
    another thread to delay), on PostgreSQL one round trip."""
    if database.param != "?":
        found = rows(text + " RETURNING id", params)
        return int(found[0][0]) if found else None
    db = database.obj
    with _writer(db) if db.transaction_depth() == 0 else contextlib.nullcontext():
        cursor = database.execute_sql(text, tuple(params))
    return int(cursor.lastrowid) if cursor.rowcount == 1 else None


@contextlib.contextmanager
def _writer(db: peewee.SqliteDatabase) -> Iterator[None]:
    """SQLite: this thread is the one writer of the process, and (``flock``) of every process; every
    :data:`CHECKPOINT_EVERY`-th time, a passive checkpoint once the lock is released."""
    global _writes
    fd = _lock_fd(str(db.database))
    with _thread_lock:
        if fd is not None:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fd is not None:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_UN)
        _writes += 1
        checkpoint = _writes % CHECKPOINT_EVERY == 0
    if checkpoint:
        _checkpoint(db)


def _checkpoint(db: peewee.SqliteDatabase) -> None:
    """Copy the write-ahead log into the database file as far as readers allow, waiting for no one; the
    transaction before it has committed, so a failure here is logged, never raised."""
    try:
        db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except peewee.DatabaseError as exc:
        logging.getLogger(__name__).debug("passive checkpoint skipped: %s", exc)


def _lock_fd(path: str) -> int | None:
    """This process's descriptor of ``<database>.writers``, opened once per process (not across a fork)."""
    global _lock_file
    if os.name != "posix" or not path or path == ":memory:":
        return None
    pid = os.getpid()
    if _lock_file is not None and _lock_file[0] == pid and _lock_file[2] == path:
        return _lock_file[1]
    try:
        fd = os.open(path + ".writers", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    _lock_file = (pid, fd, path)
    return fd
