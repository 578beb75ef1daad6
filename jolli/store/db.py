"""The database: one deferred peewee database, opened from a URL.

``JOLLI_DATABASE_URL`` (or ``DATABASE_URL``) selects it: ``sqlite:////abs/path.db`` or
``postgresql://user@host:5432/name``. Nothing configured means the embedded SQLite file
``$JOLLI_HOME/jolli.db`` (``~/.local/share/jolli`` by default), in WAL mode with foreign keys on.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import peewee

#: Every model binds to this proxy; :func:`open_database` points it at a real database.
database = peewee.DatabaseProxy()


def jolli_home() -> Path:
    """Where jolli keeps its embedded database and server-side state."""
    env = os.environ.get("JOLLI_HOME")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "jolli"


def database_url() -> str:
    """The configured database URL, or the embedded SQLite default."""
    url = os.environ.get("JOLLI_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(jolli_home() / "jolli.db")


def _pool_size() -> int:
    raw = os.environ.get("JOLLI_DB_POOL_SIZE", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 20


def make_database(url: str) -> peewee.Database:
    """A peewee database for ``url`` (not yet connected)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path or path == ":memory:":
            raise ValueError("JOLLI_DATABASE_URL: use a SQLite file path, e.g. sqlite:////var/lib/jolli/jolli.db")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        from playhouse.pool import PooledSqliteDatabase

        # Connect per request from a per-process pool: the pragmas run once per connection, not per call.
        return PooledSqliteDatabase(
            path,
            pragmas={"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000, "synchronous": "normal"},
            check_same_thread=False,
            max_connections=_pool_size(),
            stale_timeout=300,
            timeout=30,
        )
    if scheme in ("postgres", "postgresql"):
        from playhouse.pool import PooledPostgresqlDatabase

        # Connect per request, but from a small per-process pool: close() hands the connection back.
        return PooledPostgresqlDatabase(
            parts.path.lstrip("/") or "jolli",
            host=parts.hostname or None,
            port=parts.port or 5432,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            prefer_psycopg3=True,
            max_connections=_pool_size(),
            stale_timeout=300,
            timeout=30,
        )
    raise ValueError(
        f"JOLLI_DATABASE_URL: unsupported scheme {parts.scheme!r}; use sqlite:///<path> or postgresql://..."
    )


def open_database(url: str | None = None) -> peewee.Database:
    """Point the shared proxy at the database for ``url`` (default: :func:`database_url`) and return it."""
    db = make_database(url or database_url())
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


def display_url(url: str) -> str:
    """``url`` safe to print: any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{netloc}").geturl()
