"""The figures only the console shows: changes per hour by outcome, the org's queue, each listed source's
newest event and a source's cursor history. Everything else the console reads through the API's and the
events package's own functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jolli.events.status import EventStatus, JobStatus
from jolli.events.tables import CursorHistory, SourceEvent
from jolli.store import sql as raw
from jolli.store.db import is_postgres
from jolli.store.models import utcnow

#: The outcomes the hourly chart stacks, in drawing order.
CHART_OUTCOMES = (EventStatus.PROCESSED, EventStatus.STALE, EventStatus.FAILED)
HOURS = 24


@dataclass(frozen=True)
class HourlyChanges:
    """Events received per hour over the last :data:`HOURS` hours, counted by their status now."""

    hours: list[datetime]  # the start of each hour, oldest first
    counts: dict[str, list[int]]  # status -> one count per hour

    def total(self, status: str) -> int:
        return sum(self.counts.get(status, []))


def hourly_changes(org_id: int, now: datetime | None = None) -> HourlyChanges:
    """One grouped query over the org's events of the last 24 hours, read from the index
    ``(org_id, received_at, status)`` alone (migration 0010)."""
    now = now or utcnow()
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    # The hour as the column stores it: a timestamp truncated by PostgreSQL, the text's first 13 characters
    # ("2026-01-31 12") on SQLite, which peewee writes as ISO text.
    hour = "date_trunc('hour', received_at)" if is_postgres() else "substr(received_at, 1, 13)"
    rows = raw.rows(f"SELECT {hour} AS h, status, COUNT(*) FROM source_event WHERE org_id = ? AND received_at >= ? "
                    "GROUP BY h, status", (org_id, raw.naive(first)))
    hours = [first + timedelta(hours=n) for n in range(HOURS)]
    index = {h.strftime("%Y-%m-%d %H"): n for n, h in enumerate(hours)}
    counts: dict[str, list[int]] = {str(s): [0] * HOURS for s in EventStatus}
    for bucket, status, count in rows:
        key = bucket.strftime("%Y-%m-%d %H") if isinstance(bucket, datetime) else str(bucket)[:13]
        if key in index and status in counts:
            counts[status][index[key]] += int(count)
    return HourlyChanges(hours, counts)


@dataclass(frozen=True)
class Queue:
    """The org's jobs waiting to run, and how long the oldest has waited."""

    depth: int
    running: int
    oldest_age: timedelta | None


def queue(org_id: int, now: datetime | None = None) -> Queue:
    """One statement; each part reads the claim's partial index of its status (``event_job_due`` for queued
    jobs, ``event_job_stale`` for running ones, migration 0011) rather than every job ever queued."""
    now = now or utcnow()
    of = "FROM event_job WHERE status = '{}' AND org_id = ?"
    rows = raw.rows(f"SELECT (SELECT COUNT(*) {of.format(JobStatus.QUEUED)}), "
                    f"(SELECT MIN(created_at) {of.format(JobStatus.QUEUED)}), "
                    f"(SELECT COUNT(*) {of.format(JobStatus.RUNNING)})", (org_id, org_id, org_id))
    depth, oldest, running = rows[0]
    oldest_at = SourceEvent.received_at.python_value(oldest) if oldest is not None else None
    return Queue(int(depth or 0), int(running or 0), (now - oldest_at) if oldest_at is not None else None)


def newest_events(source_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Each source's newest event (id, status, received time), one query for a page of sources."""
    if not source_ids:
        return {}
    marks = ", ".join("?" for _ in source_ids)
    rows = raw.rows(f"SELECT e.source_id, e.id, e.status, e.received_at FROM source_event e WHERE e.id IN "
                    f"(SELECT MAX(id) FROM source_event WHERE source_id IN ({marks}) GROUP BY source_id)",
                    tuple(source_ids))
    return {int(s): {"id": int(i), "status": st, "receivedAt": SourceEvent.received_at.python_value(t)}
            for s, i, st, t in rows}


def cursor_history(source_id: int, limit: int = 50) -> list[CursorHistory]:
    """A source's cursor advances, newest first."""
    return list(CursorHistory.select().where(CursorHistory.source == source_id)
                .order_by(CursorHistory.version.desc()).limit(limit))
