"""The job queue: claim one job, give it back later, finish it.

A job is claimable when it is ``queued`` and due, or ``running`` with an expired claim (its worker
stopped renewing: it died), and no live lease of another worker covers its ``(source, branch)``.
PostgreSQL claims with ``SELECT ... FOR UPDATE SKIP LOCKED`` inside the ``UPDATE``, so concurrent workers
never wait on or take the same row; SQLite serialises writers, and the claim is one ``UPDATE ... WHERE``
that matches only while the claim is free.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import peewee

from jolli.events import leases
from jolli.events.status import JobKind, JobStatus
from jolli.events.tables import EventJob
from jolli.store import sql as raw
from jolli.store.db import database, is_postgres
from jolli.store.models import utcnow
from jolli.store.sql import write_tx

#: Whether another worker's live lease covers the job's ``(source, branch)``.
_UNLEASED = (
    "NOT EXISTS (SELECT 1 FROM source_lease l WHERE l.source_id = j.source_id "
    "AND l.branch_key = j.branch_key AND l.expires_at > ? AND l.holder <> ?)"
)
#: The claimable job, oldest first: a running job whose worker stopped renewing (read from the partial index
#: ``event_job_stale``, migration 0011), else the queued job due first (``event_job_due``). Each reads its
#: index in order and stops at the first unleased row, so jobs that are not due yet (held for order
#: evidence, waiting out a retry's backoff) cost a claim nothing, however many there are.
_CLAIMABLE_ID = (
    f"COALESCE((SELECT j.id FROM event_job j WHERE j.status = '{JobStatus.RUNNING}' AND j.claimed_until < ? "
    "AND " + _UNLEASED + " ORDER BY j.claimed_until LIMIT 1{lock}), "
    f"(SELECT j.id FROM event_job j WHERE j.status = '{JobStatus.QUEUED}' AND j.run_after <= ? "
    "AND " + _UNLEASED + " ORDER BY j.run_after, j.id LIMIT 1{lock}))"
)
_SET_CLAIM = (
    f"UPDATE event_job SET status = '{JobStatus.RUNNING}', claimed_by = ?, claimed_until = ?, updated_at = ?, "
    f"takeovers = takeovers + CASE WHEN status = '{JobStatus.RUNNING}' THEN 1 ELSE 0 END "
)


def claim(holder: str, lease_seconds: float) -> EventJob | None:
    """Claim the oldest claimable job for ``holder`` until ``lease_seconds`` from now, or ``None``.

    One statement on either store: SQLite serialises writers, PostgreSQL skips rows other claimers hold."""
    now = raw.naive(utcnow())
    until = now + timedelta(seconds=lease_seconds)
    names = raw.columns(EventJob)
    lock = " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    found = raw.rows(
        _SET_CLAIM + "WHERE id = " + _CLAIMABLE_ID.format(lock=lock) + " RETURNING " + ", ".join(names),
        (holder, until, now, now, now, holder, now, now, holder),
    )
    return raw.instance(EventJob, names, found[0]) if found else None


class _LeaseTaken(Exception):
    """The claimed job's (source, branch) was leased by someone else meanwhile: undo the claim."""


#: How long a claim may wait for a lock on PostgreSQL before it gives up and tries again.
CLAIM_LOCK_TIMEOUT = "100ms"


def claim_leased(holder: str, lease_seconds: float, attempts: int = 4) -> tuple[EventJob, bool] | None:
    """Claim a job and, when its ``(source, branch)`` is known, its lease too, in one transaction.

    Returns the job and whether the lease is held (a legacy job learns its source only when resolved).
    A job whose lease another worker took in the meantime stays untouched (the claim is rolled back).

    On PostgreSQL the claim never waits long for a lock: ``FOR UPDATE SKIP LOCKED`` may keep a lock on
    a row it looked at and then rejected (another worker's running job) until this transaction ends, so
    waiting here for that worker's lease could deadlock with it; a short ``lock_timeout`` turns the wait
    into "taken, try again".
    """
    postgres = is_postgres()
    for _ in range(attempts):
        try:
            with write_tx():
                if postgres:
                    database.execute_sql(f"SET LOCAL lock_timeout = '{CLAIM_LOCK_TIMEOUT}'")
                job = claim(holder, lease_seconds)
                if job is None:
                    return None
                if job.source_id is None or (job.kind == JobKind.LEGACY and job.event_id is None):
                    return job, False
                if not leases.acquire(job.source_id, job.branch_key, holder, lease_seconds):
                    raise _LeaseTaken()
                return job, True
        except _LeaseTaken:
            continue
        except peewee.OperationalError as exc:
            if not _lock_timeout(exc):
                raise
    return None


def _lock_timeout(exc: Exception) -> bool:
    original = exc.args[0] if exc.args else None
    return getattr(original, "sqlstate", None) == "55P03" or "lock timeout" in str(exc)


def renew(job_id: int, holder: str, lease_seconds: float) -> bool:
    """Extend ``holder``'s claim on a job; ``False`` when the claim was lost."""
    until = raw.naive(utcnow()) + timedelta(seconds=lease_seconds)
    return bool(raw.execute(
        "UPDATE event_job SET claimed_until = ? WHERE id = ? AND claimed_by = ? AND status = ?",
        (until, job_id, holder, JobStatus.RUNNING),
    ))


def release(job_id: int, holder: str, *, run_after: datetime, error: str | None = None,
            failed: bool = False) -> bool:
    """Give a claimed job back to the queue, due at ``run_after``, saying why in ``error`` when given
    (``failed``: count it as a job-level error)."""
    return bool(raw.execute(*releasing(job_id, holder, run_after=run_after, error=error, failed=failed)))


def releasing(job_id: int, holder: str, *, run_after: datetime, error: str | None = None,
              failed: bool = False) -> raw.Statement:
    """The statement of :func:`release`."""
    failure = ", failures = failures + 1" if failed else ""
    return (
        "UPDATE event_job SET status = ?, run_after = ?, claimed_by = NULL, claimed_until = NULL, "
        "updated_at = ?, last_error = COALESCE(?, last_error)" + failure + " WHERE id = ? AND claimed_by = ? "
        "AND status = ?",
        (str(JobStatus.QUEUED), raw.naive(run_after), raw.naive(utcnow()), error, job_id, holder,
         str(JobStatus.RUNNING)),
    )


def finish(job_id: int, holder: str, *, status: JobStatus = JobStatus.DONE, error: str | None = None) -> bool:
    """Mark a claimed job ``done`` or ``dead`` (dead letter, with the reason)."""
    return bool(raw.execute(*finishing(job_id, holder, status=status, error=error)))


def finishing(job_id: int, holder: str, *, status: JobStatus = JobStatus.DONE,
              error: str | None = None) -> raw.Statement:
    """The statement of :func:`finish`."""
    now = raw.naive(utcnow())
    return (
        "UPDATE event_job SET status = ?, claimed_by = NULL, claimed_until = NULL, updated_at = ?, "
        "finished_at = ?, last_error = ? WHERE id = ? AND claimed_by = ? AND status = ?",
        (str(status), now, now, error, job_id, holder, str(JobStatus.RUNNING)),
    )


def due_exists() -> bool:
    """Whether a job is due now (queued and due, or claimed by a worker that stopped), leased or not."""
    now = utcnow()
    return bool(
        EventJob.select(EventJob.id)
        .where(((EventJob.status == JobStatus.QUEUED) & (EventJob.run_after <= now))
               | ((EventJob.status == JobStatus.RUNNING) & (EventJob.claimed_until < now)))
        .exists()
    )


def counts() -> dict[str, int]:
    """Jobs per status (for ``jolli worker --once`` and the tests)."""
    rows: Any = EventJob.select(EventJob.status, peewee.fn.COUNT(EventJob.id)).group_by(EventJob.status).tuples()
    return {str(status): int(count) for status, count in rows}
