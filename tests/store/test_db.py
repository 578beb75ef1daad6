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


def test_models_bind_to_the_shared_proxy(sqlite_url: str) -> None:
    from jolli.store.models import Org

    database = store_db.open_database(sqlite_url)
    assert isinstance(Org._meta.database, peewee.DatabaseProxy)
    assert Org._meta.database.obj is database
