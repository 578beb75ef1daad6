"""Opening the database from a URL: the embedded SQLite default, PostgreSQL, and bad URLs."""

from __future__ import annotations

from pathlib import Path

import peewee
import pytest

from jolli.store import db as store_db


def test_default_is_an_sqlite_file_under_jolli_home(tmp_path: Path) -> None:
    url = store_db.database_url()
    assert url == "sqlite:///" + str(tmp_path / "jolli-home" / "jolli.db")


def test_environment_selects_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://a@h/one")
    assert store_db.database_url() == "postgresql://a@h/one"
    monkeypatch.setenv("JOLLI_DATABASE_URL", "postgresql://b@h/two")
    assert store_db.database_url() == "postgresql://b@h/two"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    database = store_db.open_database(sqlite_url)
    with database.connection_context():
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert not store_db.is_postgres()
    assert Path(sqlite_url[len("sqlite:///"):]).exists()


def test_postgres_url_opens_a_pooled_postgres_database(pg_url: str) -> None:
    database = store_db.open_database(pg_url)
    assert store_db.is_postgres()
    with database.connection_context():
        assert database.execute_sql("SELECT 1").fetchone()[0] == 1
    store_db.close_database(database)
    assert database.is_closed()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://x/y", "nonsense"])
def test_unsupported_urls_are_refused_with_the_accepted_forms(url: str) -> None:
    with pytest.raises(ValueError, match="JOLLI_DATABASE_URL"):
        store_db.make_database(url)


def test_a_pooled_connection_is_pinged_only_after_idling_and_a_dead_one_is_replaced(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Handed back a moment ago: reused without a ping. Idle past PING_AFTER and killed by the server
    meanwhile: the ping finds it dead, and the request gets a new connection instead of an error."""
    database = store_db.open_database(pg_url)
    pings = []
    adapter = database._adapter
    real = adapter.is_connection_closed
    monkeypatch.setattr(adapter, "is_connection_closed", lambda conn: pings.append(conn) or real(conn))
    try:
        with database.connection_context():
            first = database.connection()
            pid = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
        with database.connection_context():
            assert database.connection() is first and pings == []  # just handed back: no round trip
        monkeypatch.setattr(store_db, "PING_AFTER", 0.0)
        import psycopg

        with psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with database.connection_context():
            assert database.execute_sql("SELECT 1").fetchone()[0] == 1
            assert database.connection() is not first and pings == [first]
    finally:
        store_db.close_database(database)


def test_models_bind_to_the_shared_proxy(sqlite_url: str) -> None:
    from jolli.store.models import Org

    database = store_db.open_database(sqlite_url)
    assert isinstance(Org._meta.database, peewee.DatabaseProxy)
    assert Org._meta.database.obj is database
