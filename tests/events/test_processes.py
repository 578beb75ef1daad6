"""Real worker processes on PostgreSQL: several at once, shuffled duplicates, and workers killed mid-job.

The counting hook writes one row per call inside the worker's transaction, so a row exists exactly when
the worker recorded that space as processed: these tests count real side effects, not just audit rows.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventhelp import deliver, git_repo, history, make_integration, make_org, make_source, make_spaces
from procs import create_hook_table, install_counting_hook, start_worker, stop

from jolli.events.tables import EventJob, EventSpace, SourceEvent, SpaceAudit
from jolli.provider import CanonicalPush
from jolli.store.models import Source

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def pg(pg_url: str) -> Iterator[Any]:
    from jolli.store.db import open_database
    from jolli.store.migrate import upgrade

    database = open_database(pg_url)
    upgrade(database)
    create_hook_table(database)
    try:
        yield database
    finally:
        database.close()


def wait_until_done(processes: list[subprocess.Popen[bytes]], log: Path, timeout: float = 90,
                    on_tick: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if on_tick is not None:
            on_tick()
        if not EventJob.select().where(EventJob.status.in_(("queued", "running"))).exists():
            return
        dead = [p for p in processes if p.poll() is not None and p.returncode not in (-signal.SIGKILL,)]
        assert not dead, log.read_text()[-4000:]
        time.sleep(0.1)
    raise AssertionError("workers did not finish: " + log.read_text()[-4000:])


def hook_calls(database: Any) -> Counter[tuple[int, int]]:
    rows = database.execute_sql("SELECT event_id, space_id FROM hook_call").fetchall()
    return Counter((int(e), int(s)) for e, s in rows)


def check_outcomes(database: Any) -> None:
    """Every (event, space) ended exactly once, and processed ones ran the hook exactly once."""
    calls = hook_calls(database)
    assert calls and max(calls.values()) == 1, [k for k, n in calls.items() if n > 1]
    processed = Counter((a.event_id, a.space_id) for a in SpaceAudit.select().where(SpaceAudit.outcome == "processed"))
    assert set(processed.values()) == {1}
    assert set(processed) == set(calls)
    for event in SourceEvent.select():
        states = {s.space_id: s.status for s in EventSpace.select().where(EventSpace.event == event.id)}
        assert sorted(states) == event.affected_space_ids, event.id  # nothing lost
        assert set(states.values()) <= {"processed", "skipped-stale"}, states


def check_cursors(sources: dict[int, Any]) -> None:
    """Each cursor is on its newest commit and its history only ever moved forward."""
    for source_id, repo in sources.items():
        assert Source.get_by_id(source_id).cursor_value == repo.commits[-1]
        rows = history(source_id)
        assert [r.version for r in rows] == list(range(1, len(rows) + 1))
        for row in rows:
            if row.old_value is not None:
                assert row.old_value != row.new_value
                repo.git("merge-base", "--is-ancestor", row.old_value, row.new_value)  # raises if backwards


def test_four_workers_with_shuffled_duplicated_pushes_for_20_sources(pg: Any, pg_url: str, tmp_path: Path) -> None:
    mirrors = tmp_path / "mirrors"
    org = make_org("acme")
    integration = make_integration(org)
    sources: dict[int, Any] = {}
    pushes = []
    for n in range(20):
        repo_name = f"github.com/acme/repo{n}"
        repo = git_repo(mirrors, repo_name, commits=5)
        source = make_source(org, f"src{n}", repo_name)
        make_spaces(org, source, 3)
        sources[source.id] = repo
        for i, head in enumerate(repo.commits):
            before = repo.commits[i - 1] if i else "0" * 40
            for copy in range(2):  # every push delivered twice, with different delivery ids
                pushes.append(CanonicalPush(repo=repo_name, ref="refs/heads/main", before=before, after=head,
                                            delivery_id=f"{n}-{i}-{copy}"))
    random.Random(5).shuffle(pushes)
    plugin = install_counting_hook(tmp_path / "plugin")
    log = tmp_path / "workers.log"
    workers = [start_worker(pg_url, plugin, log, lease=5, mirrors=mirrors) for _ in range(4)]
    try:
        statuses = Counter(deliver(integration, [p]).status for p in pushes)
        wait_until_done(workers, log)
    finally:
        stop(workers)

    assert statuses == {"accepted": 100, "duplicate": 100}
    assert SourceEvent.select().count() == 100 and EventJob.select().count() == 100
    check_outcomes(pg)
    check_cursors(sources)
    newest = {repo.commits[-1] for repo in sources.values()}
    for event in SourceEvent.select().where(SourceEvent.head_sha.in_(list(newest))):
        assert event.status == "processed"
    pids = {pid for (pid,) in pg.execute_sql("SELECT DISTINCT pid FROM hook_call").fetchall()}
    assert len(pids) >= 2  # the work really was shared


def test_workers_killed_mid_job_are_taken_over_and_nothing_is_lost_or_doubled(
        pg: Any, pg_url: str, tmp_path: Path) -> None:
    mirrors = tmp_path / "mirrors"
    org = make_org("acme")
    integration = make_integration(org)
    sources: dict[int, Any] = {}
    for n in range(6):
        repo_name = f"github.com/acme/kill{n}"
        repo = git_repo(mirrors, repo_name, commits=3)
        source = make_source(org, f"kill{n}", repo_name)
        make_spaces(org, source, 12)
        sources[source.id] = repo
        for i, head in enumerate(repo.commits):
            deliver(integration, [CanonicalPush(repo=repo_name, ref="refs/heads/main",
                                                     before=repo.commits[i - 1] if i else "0" * 40, after=head)])
    plugin = install_counting_hook(tmp_path / "plugin")
    log = tmp_path / "workers.log"

    def spawn() -> subprocess.Popen[bytes]:
        return start_worker(pg_url, plugin, log, lease=1.0, mirrors=mirrors, hook_sleep=0.02)

    workers = [spawn() for _ in range(4)]
    kills = 0
    rng = random.Random(7)

    def kill_one_in_a_job() -> None:
        nonlocal kills
        if kills >= 10:
            return
        pids = {p.pid: p for p in workers if p.poll() is None}
        holders = [j.claimed_by for j in EventJob.select(EventJob.claimed_by).where(EventJob.status == "running")]
        busy = [int(h.split(":")[1]) for h in holders if h and int(h.split(":")[1]) in pids]
        if not busy:
            return
        victim = pids[rng.choice(busy)]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        kills += 1
        workers.append(spawn())
        time.sleep(0.15)

    try:
        wait_until_done(workers, log, timeout=120, on_tick=kill_one_in_a_job)
    finally:
        stop(workers)

    assert kills >= 5, f"only {kills} workers could be killed mid-job"
    assert EventJob.select().where(EventJob.takeovers > 0).count() >= 1
    assert not EventJob.select().where(EventJob.status != "done").exists()
    check_outcomes(pg)
    check_cursors(sources)
    newest = {repo.commits[-1] for repo in sources.values()}
    for event in SourceEvent.select().where(SourceEvent.head_sha.in_(list(newest))):
        assert event.status == "processed"  # every space has the newest content
