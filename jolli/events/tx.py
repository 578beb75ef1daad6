"""Write transactions that behave the same on SQLite and PostgreSQL.

On SQLite a transaction that reads and then writes must take the write lock up front (``BEGIN
IMMEDIATE``). Otherwise two of them can deadlock on the upgrade, and one fails at once with "database
is locked" instead of waiting its turn.

SQLite has a single writer, and a waiting writer polls: it sleeps 1, 2, 5, 10 ... ms between tries.
Under load from several processes (the gunicorn workers of ``jolli serve``, several ``jolli worker``
threads) that polling leaves the database idle between transactions. So these write transactions first
queue on an OS file lock next to the database file (``flock``): waiters sleep in the kernel and the
next one starts the moment the previous one commits. Writers that do not use this module are still
correct; they just keep polling.

PostgreSQL uses an ordinary transaction (row locks do the rest). Nested calls become savepoints.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

import peewee

from jolli.store.db import database

_thread_lock = threading.Lock()
_lock_file: tuple[int, int, str] | None = None  # (pid, fd, path)


def write_tx() -> Any:
    """A context manager: one write transaction (a savepoint when already inside one)."""
    db = database.obj
    if isinstance(db, peewee.SqliteDatabase) and db.transaction_depth() == 0:
        return _sqlite_write(db)
    return database.atomic()


@contextlib.contextmanager
def _sqlite_write(db: peewee.SqliteDatabase) -> Iterator[Any]:
    fd = _lock_fd(str(db.database))
    with _thread_lock:
        if fd is not None:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            with db.atomic("IMMEDIATE") as tx:
                yield tx
        finally:
            if fd is not None:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_UN)


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
