"""Leases on ``(sourceId, branch)``: one worker at a time processes a source branch.

A lease expires (default 30 s) unless its holder renews it; a worker that dies simply stops renewing,
and after expiry any worker may take it over. Every write that records an outcome first *fences* on
the lease (:func:`fence`): an ``UPDATE`` that succeeds only while the caller still holds it, inside the
same transaction, so a worker that lost its lease (paused too long, partitioned) cannot record anything.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

from jolli.events.tables import SourceLease
from jolli.store import sql as raw
from jolli.store.models import utcnow


def worker_name(index: int = 0) -> str:
    """A holder identity unique to this process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{index}:{secrets.token_hex(3)}"


def branch_key(branch: str | None) -> str:
    """The lease key of a branch (``""`` for a source event without one)."""
    return branch or ""


def acquire(source_id: int, branch: str | None, holder: str, seconds: float) -> bool:
    """Take (or re-take) the lease for ``holder`` in one statement; ``False`` while another holder's lease
    is live."""
    now = raw.naive(utcnow())
    return bool(raw.rows(
        "INSERT INTO source_lease (source_id, branch_key, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (source_id, branch_key) DO UPDATE SET holder = excluded.holder, "
        "expires_at = excluded.expires_at, acquired_at = excluded.acquired_at "
        "WHERE source_lease.expires_at <= ? OR source_lease.holder = ? RETURNING id",
        (source_id, branch_key(branch), holder, now + timedelta(seconds=seconds), now, now, holder),
    ))


def fence(source_id: int, branch: str | None, holder: str, seconds: float) -> bool:
    """Renew the lease if ``holder`` still has it; call inside the transaction that records outcomes."""
    return bool(raw.execute(*fencing(source_id, branch, holder, seconds)))


def fencing(source_id: int, branch: str | None, holder: str, seconds: float) -> raw.Statement:
    """The statement of :func:`fence`."""
    now = raw.naive(utcnow())
    return ("UPDATE source_lease SET expires_at = ? WHERE source_id = ? AND branch_key = ? AND holder = ? "
            "AND expires_at > ?", (now + timedelta(seconds=seconds), source_id, branch_key(branch), holder, now))


def release(source_id: int, branch: str | None, holder: str, *, fenced: bool = False) -> bool:
    """Give the lease up (only if ``holder`` still has it); with ``fenced``, only if it is still live, so
    that inside the transaction recording a job's outcomes ``False`` means "lost: record nothing"."""
    return bool(raw.execute(*releasing(source_id, branch, holder, fenced=fenced)))


def releasing(source_id: int, branch: str | None, holder: str, *, fenced: bool = False) -> raw.Statement:
    """The statement of :func:`release`."""
    now = raw.naive(utcnow())
    live = " AND expires_at > ?" if fenced else ""
    return ("UPDATE source_lease SET expires_at = ? WHERE source_id = ? AND branch_key = ? AND holder = ?" + live,
            (now, source_id, branch_key(branch), holder) + ((now,) if fenced else ()))


def expires_at(source_id: int, branch: str | None) -> datetime | None:
    """When the current lease on ``(source, branch)`` expires, if there is one."""
    row = SourceLease.get_or_none(SourceLease.source_id == source_id, SourceLease.branch_key == branch_key(branch))
    return row.expires_at if row else None
