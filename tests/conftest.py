"""Shared fixtures: real SQLite files and real PostgreSQL databases.

PostgreSQL comes from ``JOLLI_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``); each
test that asks for it gets a fresh database, dropped afterwards. Outside CI a missing server skips those
tests, saying so; with ``CI=true`` it is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("JOLLI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


_PG_PROBLEM: str | None | bool = False


def require_postgres() -> None:
    """Skip (outside CI) or fail (in CI) when no PostgreSQL is reachable."""
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _pg_available()
    if _PG_PROBLEM:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL} ({_PG_PROBLEM})"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + "; CI=true requires it", pytrace=False)
        pytest.skip(message + "; set JOLLI_TEST_PG_URL or start PostgreSQL")


def create_pg_database() -> str:
    """Create an empty database and return its URL."""
    import psycopg

    require_postgres()
    name = "jolli_t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # Tests do not survive a crash of the server itself, so its commits need not wait for the disk:
        # the same statements and locks, without an fsync per commit on a shared machine.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return "sqlite:///" + str(tmp_path / "jolli.db")


@pytest.fixture
def pg_url() -> Iterator[str]:
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using it runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "jolli.db")
    else:
        url = create_pg_database()
        try:
            yield url
        finally:
            drop_pg_database(url)


@pytest.fixture
def db(db_url: str) -> Iterator[object]:
    """The shared database proxy opened on ``db_url`` and migrated to the current schema."""
    from jolli.store import db as store_db
    from jolli.store.migrate import upgrade

    database = store_db.open_database(db_url)
    upgrade(database)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real config or database from a test."""
    monkeypatch.setenv("JOLLI_HOME", str(tmp_path / "jolli-home"))
    monkeypatch.setenv("JOLLI_CONFIG_DIR", str(tmp_path / "jolli-config"))
    monkeypatch.delenv("JOLLI_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("JOLLI_URL", raising=False)
    monkeypatch.delenv("JOLLI_TOKEN", raising=False)
    monkeypatch.delenv("JOLLI_LOAD_PLUGINS", raising=False)


# --- test plugin distributions ------------------------------------------------------------------------
DISTS = Path(__file__).parent / "fixtures" / "dists"


@pytest.fixture(scope="session")
def install_dist(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``install_dist("jolli-testplugins")``: that folder of tests/fixtures/dists installed once per session
    with ``pip install --target``; returns the target folder, whose dist-info (and entry points in the
    group ``jolli``) ``importlib.metadata`` sees once it is on ``sys.path``, exactly as for a user's plugin."""
    base = tmp_path_factory.getbasetemp()

    def install(name: str) -> Path:
        target = base / f"{name}-site"
        if not any(target.glob("*.dist-info")):
            source = base / f"{name}-src"  # a copy: building writes build/ and *.egg-info next to it
            shutil.copytree(DISTS / name, source, dirs_exist_ok=True)
            subprocess.run(
                [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                 "--no-index", "--target", str(target), str(source)],
                check=True,
            )
        return target

    return install


def on_path(target: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make an installed test distribution visible to this test and to its subprocesses (PYTHONPATH)."""
    monkeypatch.syspath_prepend(str(target))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")])))
    return target


@pytest.fixture
def test_dist(install_dist: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """``jolli-testplugins`` (good, duplicate, misspelled, broken and shadowing plugins) on the path."""
    return on_path(install_dist("jolli-testplugins"), monkeypatch)


@pytest.fixture
def srht_dist(install_dist: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """``jolli-aaa-srht`` on the path: its names clash with ``jolli-testplugins``' ``testplug_srht``."""
    return on_path(install_dist("jolli-aaa-srht"), monkeypatch)
