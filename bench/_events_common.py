"""Shared parts of the event benchmarks: a fresh database, a no-op handler, timing helpers."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jolli import hookimpl

PG_ADMIN_URL = os.environ.get("JOLLI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A migrated, empty database (``sqlite`` or ``postgres``); yields its URL and drops it afterwards."""
    from jolli.store.db import close_database, open_database
    from jolli.store.migrate import upgrade

    if kind == "sqlite":
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="jolli-bench-"), "bench.db")
        drop = None
    else:
        import psycopg

        name = "jolli_bench_" + uuid.uuid4().hex[:10]
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        drop = name
    database = open_database(url)
    upgrade(database)
    try:
        yield url
    finally:
        close_database(database)
        if drop:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')


class NoOp:
    """A ``jolli_process_space`` handler that does nothing (``sleep`` seconds of simulated I/O if asked)."""

    def __init__(self, sleep: float = 0.0) -> None:
        self.sleep = sleep
        self.calls = 0

    @hookimpl
    def jolli_process_space(self, space_id: int, event: Any, changes: Any) -> None:
        self.calls += 1
        if self.sleep:
            import time

            time.sleep(self.sleep)


def only_plugins(*plugins: tuple[Any, str]) -> Any:
    """Make a plugin manager with just the git source type and ``plugins`` the process-wide one."""
    import jolli.plugins.git
    from jolli.registry import Plugins, reset_plugins

    manager = Plugins(load_entry_points=False)
    manager.register(jolli.plugins.git, "git")
    for plugin, name in plugins:
        manager.register(plugin, name)
    reset_plugins(manager)
    return manager


def sha(n: int) -> str:
    return f"{n:040x}"
