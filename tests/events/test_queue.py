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
