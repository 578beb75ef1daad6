"""Write transactions that behave the same on SQLite and PostgreSQL.

On SQLite a transaction that reads and then writes must take the write lock up front (``BEGIN
IMMEDIATE``); otherwise two of them can deadlock on the upgrade and one fails at once with "database is
locked" instead of waiting its turn. PostgreSQL uses an ordinary transaction (row locks do the rest).
Nested calls become savepoints.
"""

from __future__ import annotations

from typing import Any

import peewee

from jolli.store.db import database


def write_tx() -> Any:
    """A context manager: one write transaction (a savepoint when already inside one)."""
    db = database.obj
    if isinstance(db, peewee.SqliteDatabase) and db.transaction_depth() == 0:
        return db.atomic("IMMEDIATE")
    return database.atomic()

