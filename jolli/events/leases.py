"""Leases on ``(sourceId, branch)``: one worker at a time processes a source branch.

A lease expires (default 30 s) unless its holder renews it; a worker that dies simply stops renewing,
and after expiry any worker may take it over. Every write that records an outcome first *fences* on
the lease (:func:`fence`): an ``UPDATE`` that succeeds only while the caller still holds it, inside the
same transaction, so a worker that lost its lease (paused too long, partitioned) cannot record anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import peewee

from jolli.events.tables import SourceLease
from jolli.store import sql as raw
from jolli.store.models import utcnow
from jolli.store.sql import write_tx


def branch_key(branch: str | None) -> str:
    """The lease key of a branch (``""`` for a source event without one)."""
    return branch or ""


def acquire(source_id: int, branch: str | None, holder: str, seconds: float) -> bool:
    """Take (or re-take) the lease for ``holder``; ``False`` while another holder's lease is live."""
    now = raw.naive(utcnow())
    key = branch_key(branch)
    expires = now + timedelta(seconds=seconds)
    taken = raw.execute(
        "UPDATE source_lease SET holder = ?, expires_at = ?, acquired_at = ? "
        "WHERE source_id = ? AND branch_key = ? AND (expires_at <= ? OR holder = ?)",
        (holder, expires, now, source_id, key, now, holder),
    )
    if taken:
        return True
    try:
        with write_tx():  # a savepoint when inside a transaction
            raw.execute(
                "INSERT INTO source_lease (source_id, branch_key, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?, ?)",
                (source_id, key, holder, expires, now),
            )
        return True
    except peewee.IntegrityError:
        return False


def fence(source_id: int, branch: str | None, holder: str, seconds: float) -> bool:
    """Renew the lease if ``holder`` still has it; call inside the transaction that records outcomes."""
    now = raw.naive(utcnow())
    return bool(raw.execute(
        "UPDATE source_lease SET expires_at = ? WHERE source_id = ? AND branch_key = ? AND holder = ? "
        "AND expires_at > ?",
        (now + timedelta(seconds=seconds), source_id, branch_key(branch), holder, now),
    ))


def release(source_id: int, branch: str | None, holder: str) -> None:
    """Give the lease up (only if ``holder`` still has it). The row stays, expired, so the next
    :func:`acquire` of this ``(source, branch)`` is a single ``UPDATE``."""
    raw.execute(
        "UPDATE source_lease SET expires_at = ? WHERE source_id = ? AND branch_key = ? AND holder = ?",
        (raw.naive(utcnow()), source_id, branch_key(branch), holder),
    )


def expires_at(source_id: int, branch: str | None) -> datetime | None:
    """When the current lease on ``(source, branch)`` expires, if there is one."""
    row = SourceLease.get_or_none(SourceLease.source_id == source_id, SourceLease.branch_key == branch_key(branch))
    return row.expires_at if row else None
