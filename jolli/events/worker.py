"""The worker loop: claim a job, process it, repeat; several threads per process, many processes per queue.

Each thread has its own identity (``host:pid:n:random``) because leases and claims are per holder, and
its own database connection. ``stop`` (SIGTERM/SIGINT in ``jolli worker``) lets every thread finish the
job it holds, then exit. A worker killed outright simply stops renewing: its claims and leases expire
and another worker takes the jobs over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from jolli.events import jobs, leases
from jolli.events.config import EventSettings
from jolli.events.leases import worker_name
from jolli.events.processing import HookCaller, JobProcessor, JobResult
from jolli.events.status import JobStatus
from jolli.store.db import database
from jolli.store.models import Source
from jolli.store.sql import write_tx

log = logging.getLogger(__name__)



class Worker:
    """One claiming loop (one thread's worth of work)."""

    def __init__(self, settings: EventSettings | None = None, *, name: str | None = None,
                 hook: HookCaller | None = None, client_factory: Callable[[Source], Any] | None = None) -> None:
        self.settings = settings or EventSettings.from_env()
        self.name = name or worker_name()
        self.processor = JobProcessor(self.settings, self.name, hook=hook, client_factory=client_factory)

    def run_once(self) -> JobResult | None:
        """Claim and process one due job; ``None`` when there is none."""
        claimed = jobs.claim_leased(self.name, self.settings.lease_seconds)
        if claimed is None:
            return None
        job, leased = claimed
        if job.takeovers > self.settings.max_takeovers:
            reason = f"taken over {job.takeovers} times from workers that stopped (crash loop?)"
            with write_tx():
                jobs.finish(job.id, self.name, status=JobStatus.DEAD, error=reason)
                if leased and job.source_id is not None:
                    leases.release(job.source_id, job.branch_key, self.name)
            log.error("jobId=%s dead-lettered: %s", job.id, reason)
            return JobResult(job.id, "dead", job.event_id, detail=reason)
        if job.takeovers:
            log.warning("jobId=%s taken over from a worker that stopped renewing (takeover %s)", job.id, job.takeovers)
        return self.processor.process(job, leased)

    def drain(self, stop: threading.Event | None = None, max_jobs: int | None = None) -> list[JobResult]:
        """Process due jobs until none is left (or ``stop`` is set / ``max_jobs`` done)."""
        results: list[JobResult] = []
        busy_in_a_row = 0
        while (stop is None or not stop.is_set()) and (max_jobs is None or len(results) < max_jobs):
            result = self.run_once()
            if result is None:
                break
            if result.state == "busy":  # another worker holds that source; give it a moment
                busy_in_a_row += 1
                if busy_in_a_row > 50:
                    break
                (stop or threading.Event()).wait(min(0.05 * busy_in_a_row, 1.0))
                continue
            busy_in_a_row = 0
            results.append(result)
        return results

    def run(self, stop: threading.Event, *, once: bool = False) -> int:
        """Loop until ``stop`` (or, with ``once``, until no job is due, even one another worker's lease
        holds back for now); return the jobs processed."""
        done = 0
        try:
            while not stop.is_set():
                try:
                    results = self.drain(stop)
                except Exception as exc:  # noqa: BLE001 - a lost database must not kill the loop
                    log.warning("worker %s: %s: %s; retrying", self.name, type(exc).__name__, exc)
                    if not database.is_closed():
                        database.close()
                    results = []
                    if once:
                        raise
                done += len(results)
                if once and not jobs.due_exists():
                    break  # nothing due: other threads may still be busy, but not with anything left here
                if not results:
                    stop.wait(self.settings.poll_seconds)
        finally:
            if not database.is_closed():
                database.close()
        return done


def run_workers(settings: EventSettings, concurrency: int, stop: threading.Event, *, once: bool = False,
                hook: HookCaller | None = None, checks: bool = False, database_url: str | None = None) -> int:
    """Run ``concurrency`` worker threads until ``stop`` (or until idle with ``once``); return jobs done.

    With ``once`` nothing waits for a burst to end (there is no later run to finish it): every due event
    is processed now, the newest of a branch first. With ``checks`` the due sources are checked too
    (:mod:`jolli.events.checker`): with ``once``, one sweep before the jobs; else by a child process
    (:mod:`jolli.events.check_process`, on ``database_url``), so that checks never hold this process's
    interpreter lock while it processes events."""
    if once:
        settings = settings.with_(coalesce_seconds=0.0)
    totals = [0] * concurrency
    errors: list[BaseException] = []
    if checks and once:
        from jolli.events.checker import Checker

        try:
            Checker(settings, worker_name(99)).sweep(stop)
        finally:
            if not database.is_closed():
                database.close()
    checker = None
    if checks and not once:
        from jolli.events.check_process import CheckProcess
        from jolli.store.db import database_url as configured_url

        checker = CheckProcess(database_url or configured_url(), settings).start()

    def target(index: int) -> None:
        try:
            totals[index] = Worker(settings, name=worker_name(index), hook=hook).run(stop, once=once)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,), name=f"jolli-worker-{i}", daemon=True)
               for i in range(concurrency)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
                if checker is not None:
                    checker.keep_alive()
    finally:
        if checker is not None:
            checker.stop()
    if errors:
        raise errors[0]
    return sum(totals)
