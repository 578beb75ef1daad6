"""What an operator sees: a database outage logged once per kind of failure per interval (not a traceback per
request), and ``/api/health`` answering 503 while the schema is not migrated, as every other call does."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from apihelp import assert_problem


@pytest.fixture
def outage_url(db_url: str, tmp_path: Path) -> str:
    """A database that fails every call: PostgreSQL on a closed port; a SQLite "file" that is not a database."""
    if db_url.startswith("postgresql"):
        return db_url.replace(":5432/", ":1/")
    path = tmp_path / "broken.db"
    path.write_bytes(b"this is not a SQLite database" * 100)
    return "sqlite:///" + str(path)


def test_an_outage_logs_one_line_per_kind_not_a_traceback_per_request(outage_url: str,
                                                                      caplog: pytest.LogCaptureFixture,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from jolli.api import errors
    from jolli.api.app import create_app
    from jolli.log_limit import RateLimitedLog

    monkeypatch.setattr(errors, "_outage_log", RateLimitedLog(errors.log, errors.OUTAGE_LOG_INTERVAL))  # fresh
    caplog.set_level(logging.INFO)
    client = create_app({"DATABASE_URL": outage_url}).test_client()
    for _ in range(30):
        assert_problem(client.get("/api/health"), 503, text="jolli db upgrade")
        assert_problem(client.get("/api/sources", headers={"Authorization": "Bearer jolli_x"}), 503)
        assert_problem(client.post("/api/webhooks/1", data=b"{}"), 503)
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert "database unavailable" in lines[0].getMessage() and lines[0].exc_info is None


def test_health_is_503_until_the_schema_is_migrated(db_url: str) -> None:
    from jolli.api.app import create_app
    from jolli.store import db as store_db
    from jolli.store.migrate import upgrade

    client = create_app({"DATABASE_URL": db_url}).test_client()
    assert_problem(client.get("/api/health"), 503, text="jolli db upgrade")
    database = store_db.open_database(db_url)
    upgrade(database, target="0004_source_repo_lookup_index")
    client = create_app({"DATABASE_URL": db_url}).test_client()
    assert_problem(client.get("/api/health"), 503, text="pending: 0005_event_order_and_scale, 0006_")
    upgrade(database)
    database.close()
    assert client.get("/api/health").status_code == 200
