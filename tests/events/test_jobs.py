"""Claiming jobs: every job to exactly one of many concurrent claimers (SKIP LOCKED on PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from eventhelp import make_source, observe, sha

from jolli.events import jobs
from jolli.store.db import database


def test_concurrent_claimers_each_get_different_jobs(org: Any) -> None:
    sources = [make_source(org, f"s{i}", f"github.com/acme/r{i}") for i in range(30)]
    for n, source in enumerate(sources):
        observe(source, sha(n))
    claimed: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def claimer(n: int) -> None:
        try:
            barrier.wait()
            while (job := jobs.claim(f"w{n}", 30)) is not None:
                with lock:
                    claimed.append(job.id)
        finally:
            database.close()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 30 and set(Counter(claimed).values()) == {1}
    assert jobs.counts() == {"running": 30}


def test_a_released_job_is_not_due_before_its_time(org: Any) -> None:
    from datetime import timedelta

    from jolli.store.models import utcnow

    source = make_source(org, "s", "github.com/acme/r")
    observe(source, sha(1))
    job = jobs.claim("w", 30)
    assert job is not None and jobs.claim("other", 30) is None
    assert jobs.release(job.id, "w", run_after=utcnow() + timedelta(hours=1))
    assert jobs.claim("other", 30) is None
    assert not jobs.finish(job.id, "w")  # no longer its claim


def test_a_claim_reads_only_due_jobs_however_many_finished_or_waiting_jobs_are_ahead(org: Any) -> None:
    """Thousands of finished jobs, and thousands not due yet (held for order evidence, in a retry's backoff),
    ahead of the one due job: the claim reads the due and stale indexes (migration 0011) and finds it."""
    from datetime import timedelta

    from jolli.store.db import is_postgres
    from jolli.store.models import utcnow
    from jolli.store.sql import execute, naive, rows

    source = make_source(org, "s", "github.com/acme/r")
    for n in range(2400):
        observe(source, sha(n + 1))
    database.execute_sql("UPDATE event_job SET status = 'done' WHERE id <= 1200")
    later = naive(utcnow() + timedelta(hours=1))
    execute("UPDATE event_job SET run_after = ? WHERE id > 1200 AND id < 2400", (later,))
    database.execute_sql("ANALYZE")
    now = naive(utcnow())
    explain = "EXPLAIN " if is_postgres() else "EXPLAIN QUERY PLAN "
    plan = " ".join(map(str, rows(explain + "SELECT " + jobs._CLAIMABLE_ID.format(lock=""),
                                  (now, now, "w", now, now, "w"))))
    assert "event_job_due" in plan and "event_job_stale" in plan, plan
    job = jobs.claim("w", 30)
    assert job is not None and job.id == 2400
    assert jobs.claim("other", 30) is None  # the rest are not due


def test_a_sources_newest_events_are_read_by_index(org: Any) -> None:
    from jolli.events.tables import SourceEvent
    from jolli.store.db import is_postgres
    from jolli.store.sql import rows

    source = make_source(org, "s", "github.com/acme/r")
    other = make_source(org, "o", "github.com/acme/o")
    for n in range(900):
        observe(other if n % 3 else source, sha(n + 1))
    database.execute_sql("ANALYZE")
    query = SourceEvent.select().where(SourceEvent.source == source.id).order_by(SourceEvent.id.desc()).limit(101)
    text, params = query.sql()
    plan = rows(("EXPLAIN " if is_postgres() else "EXPLAIN QUERY PLAN ") + text.replace("%s", "?"), params)
    assert "source_event_source_id_id" in " ".join(map(str, plan)) or (
        is_postgres() and "Index Scan Backward" in " ".join(map(str, plan))), plan
