"""Scheduled checks in real ``jolli worker`` processes on PostgreSQL: no source is checked twice at once,
each change becomes one event, and a worker killed mid-check loses no schedule. The source type is a
third-party plugin (installed as a distribution with a ``jolli`` entry point) that records every check in
the database with its start and end."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventhelp import make_org, make_source
from procs import start_worker, stop

from jolli.events.tables import SourceEvent

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PLUGIN = '''
"""A source type whose cursor is a row of check_head; every check is recorded in check_call."""
import os
import time

from jolli import hookimpl
from jolli.source_type import CursorCheck, SourceType


class Recorded(SourceType):
    name = "recorded"

    def current_cursor(self, source, context):
        from jolli.store.db import database

        row = database.execute_sql(
            "INSERT INTO check_call (source_id, pid, started) VALUES (%s, %s, clock_timestamp()) RETURNING id",
            (context.source_id, os.getpid())).fetchone()
        time.sleep(float(os.environ.get("JOLLI_TEST_CHECK_SLEEP", "0")))
        head = database.execute_sql("SELECT head FROM check_head WHERE source_id = %s",
                                    (context.source_id,)).fetchone()
        database.execute_sql("UPDATE check_call SET ended = clock_timestamp() WHERE id = %s", (row[0],))
        return CursorCheck(head[0] if head else None, unchanged=head is None)


@hookimpl
def jolli_register_source_types(registry):
    registry.add(Recorded())
'''


def install_plugin(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "jolli_recorded_type.py").write_text(PLUGIN)
    info = root / "jolli_recorded_type-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: jolli-recorded-type\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[jolli]\nrecorded = jolli_recorded_type\n")
    return root


@pytest.fixture
def pg(pg_url: str) -> Iterator[Any]:
    from jolli.store.db import open_database
    from jolli.store.migrate import upgrade

    database = open_database(pg_url)
    upgrade(database)
    database.execute_sql("CREATE TABLE check_call (id SERIAL PRIMARY KEY, source_id INTEGER NOT NULL, "
                         "pid INTEGER NOT NULL, started TIMESTAMPTZ NOT NULL, ended TIMESTAMPTZ)")
    database.execute_sql("CREATE TABLE check_head (source_id INTEGER PRIMARY KEY, head VARCHAR(64) NOT NULL)")
    try:
        yield database
    finally:
        database.close()


def _workers(pg_url: str, tmp_path: Path, count: int, sleep: float) -> list[subprocess.Popen[bytes]]:
    plugin = install_plugin(tmp_path / "plugin")
    env = {"JOLLI_CHECK_INTERVAL": "0.5", "JOLLI_CHECK_JITTER": "0.2", "JOLLI_CHECK_CONCURRENCY": "4",
           "JOLLI_CHECK_BATCH": "5", "JOLLI_TEST_CHECK_SLEEP": str(sleep)}
    return [start_worker(pg_url, plugin, tmp_path / "workers.log", lease=2.0, checks=True, extra_env=env)
            for _ in range(count)]


def _completed(database: Any) -> dict[int, int]:
    rows = database.execute_sql("SELECT source_id, COUNT(*) FROM check_call WHERE ended IS NOT NULL "
                                "GROUP BY source_id").fetchall()
    return {int(s): int(n) for s, n in rows}


def _wait(condition: Any, processes: list[subprocess.Popen[bytes]], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        dead = [p for p in processes if p.poll() is not None and p.returncode != -signal.SIGKILL]
        assert not dead, log.read_text()[-4000:]
        time.sleep(0.1)
    raise AssertionError("timed out: " + log.read_text()[-4000:])


def test_three_workers_never_check_a_source_twice_at_once_and_each_change_is_one_event(
        pg: Any, pg_url: str, tmp_path: Path) -> None:
    org = make_org("acme")
    sources = [make_source(org, f"r{n}", None, branch=None, type="recorded").id for n in range(24)]
    workers = _workers(pg_url, tmp_path, 3, sleep=0.05)
    log = tmp_path / "workers.log"
    try:
        _wait(lambda: len(_completed(pg)) == 24 and min(_completed(pg).values()) >= 2, workers, log)
        for source_id in sources:
            pg.execute_sql("INSERT INTO check_head (source_id, head) VALUES (%s, %s)", (source_id, f"v1-{source_id}"))
        _wait(lambda: SourceEvent.select().count() == 24, workers, log)
        _wait(lambda: min(_completed(pg).values()) >= 5, workers, log)
    finally:
        stop(workers)
    overlapping = pg.execute_sql(
        "SELECT a.source_id FROM check_call a JOIN check_call b ON a.source_id = b.source_id AND a.id < b.id "
        "AND a.started < COALESCE(b.ended, 'infinity') AND b.started < COALESCE(a.ended, 'infinity')").fetchall()
    assert overlapping == []
    assert len({int(p) for (p,) in pg.execute_sql("SELECT DISTINCT pid FROM check_call").fetchall()}) > 1
    events = list(SourceEvent.select())
    assert sorted(e.source_id for e in events) == sorted(sources)  # exactly one event per change
    assert {e.origin for e in events} == {"poll"}


def test_a_worker_killed_mid_check_loses_no_schedule(pg: Any, pg_url: str, tmp_path: Path) -> None:
    org = make_org("acme")
    source = make_source(org, "slow", None, branch=None, type="recorded").id
    log = tmp_path / "workers.log"
    [first] = _workers(pg_url, tmp_path, 1, sleep=30)
    running = [first]
    try:
        _wait(lambda: pg.execute_sql("SELECT COUNT(*) FROM check_call").fetchone()[0] == 1, running, log)
        checking = pg.execute_sql("SELECT pid FROM check_call").fetchone()[0]  # the worker's check process
        assert checking != first.pid
        os.kill(checking, signal.SIGKILL)  # mid-check: its claim is never released
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        held = pg.execute_sql("SELECT claimed_by FROM source_check WHERE source_id = %s", (source,)).fetchone()[0]
        assert held is not None
        pg.execute_sql("INSERT INTO check_head (source_id, head) VALUES (%s, 'v1')", (source,))
        running = _workers(pg_url, tmp_path, 1, sleep=0)
        _wait(lambda: SourceEvent.select().count() == 1, running, log)
        assert _completed(pg)[source] >= 1  # checked again by the survivor once the claim expired
    finally:
        stop(running)
    [event] = SourceEvent.select()
    assert (event.head_sha, event.origin) == ("v1", "poll")
