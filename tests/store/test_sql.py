"""The store's writes on SQLite: the write-ahead log is copied back by a passive checkpoint after every
``CHECKPOINT_EVERY`` write transactions or single-statement inserts, outside the write lock, so the log stays
small; a checkpoint that fails never turns a committed write into an error; an insert made alone is its own
transaction, one made inside a transaction belongs to it."""

from __future__ import annotations

import os
from typing import Any

import peewee
import pytest

from jolli.store import db as store_db
from jolli.store import sql as raw


def _wal_pages(path: str) -> int:
    return os.path.getsize(path + "-wal") // 4096 if os.path.exists(path + "-wal") else 0


def _write_rows(count: int, start: int = 0, alone: bool = False) -> None:
    for n in range(start, start + count):
        if alone:
            assert raw.insert_id("INSERT INTO t (k, body) VALUES (?, ?)", (f"k{n}", "x" * 3000)) is not None
            continue
        with raw.write_tx():
            raw.execute("INSERT INTO t (k, body) VALUES (?, ?)", (f"k{n}", "x" * 3000))


@pytest.fixture
def table(sqlite_url: str) -> Any:
    database = store_db.open_database(sqlite_url)
    database.execute_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, body TEXT)")
    yield sqlite_url[len("sqlite:///"):]
    store_db.close_database(database)


def test_jolli_connections_checkpoint_by_themselves_only_far_later(table: str) -> None:
    assert raw.rows("PRAGMA wal_autocheckpoint")[0][0] == store_db.WAL_BACKSTOP > 10 * raw.CHECKPOINT_EVERY


@pytest.mark.parametrize("alone", [False, True], ids=["transactions", "inserts alone"])
def test_writes_keep_the_log_small(table: str, alone: bool) -> None:
    # 3,000 transactions of about two pages each: 6,000 pages of log, well under the backstop, without checkpoints
    _write_rows(3000, alone=alone)
    assert _wal_pages(table) < 2000  # the log file restarts after each passive checkpoint instead of growing
    assert os.path.getsize(table) > 3000 * 3000  # the rows are in the database file itself
    assert raw.rows("SELECT COUNT(*) FROM t")[0][0] == 3000


def test_a_failed_checkpoint_is_logged_and_the_write_stands(table: str, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    database = store_db.database.obj
    original = database.execute_sql

    def refusing(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        if sql.startswith("PRAGMA wal_checkpoint"):
            raise peewee.OperationalError("database is locked")
        return original(sql, params, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", refusing)
    caplog.set_level("DEBUG", logger="jolli.store.sql")
    _write_rows(raw.CHECKPOINT_EVERY + 1)  # one of them is followed by a checkpoint attempt
    assert raw.rows("SELECT COUNT(*) FROM t")[0][0] == raw.CHECKPOINT_EVERY + 1
    assert "passive checkpoint skipped: database is locked" in caplog.text



def test_an_insert_alone_returns_the_new_id_or_none_on_a_conflict(table: str) -> None:
    text = "INSERT INTO t (k, body) VALUES (?, ?) ON CONFLICT (k) DO NOTHING"
    first = raw.insert_id(text, ("a", "1"))
    second = raw.insert_id(text, ("b", "2"))
    assert first is not None and second == first + 1
    assert raw.insert_id(text, ("a", "other")) is None  # the row stands as it was
    assert raw.rows("SELECT k, body FROM t ORDER BY id") == [("a", "1"), ("b", "2")]


def test_an_insert_inside_a_transaction_is_undone_with_it(table: str) -> None:
    with pytest.raises(RuntimeError), raw.write_tx():
        assert raw.insert_id("INSERT INTO t (k, body) VALUES (?, ?)", ("a", "1")) is not None
        raise RuntimeError("the rest of the transaction failed")
    assert raw.rows("SELECT COUNT(*) FROM t")[0][0] == 0


def test_times_are_stored_as_naive_utc_whatever_their_zone() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    utc = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert raw.naive(utc.astimezone(timezone(timedelta(hours=2)))) == datetime(2026, 3, 4, 12, 0)
    assert raw.naive(utc) == raw.naive(utc.replace(tzinfo=None)) == datetime(2026, 3, 4, 12, 0)
