"""Storing a source event and its job, once per idempotency key ``(sourceId, eventJrn, headSha)``.

The unique index on that key decides: the first insert wins, any later or concurrent one (another
delivery of the same push, from any provider, with the same or a new delivery id) finds the existing
event and creates nothing. An event first created by a legacy per-space job is the exception: when the
fanout push for it arrives, its spaces are merged in and it gets its own job, so every space is done
once whichever shape arrives first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee

from jolli.events.fanout import merge_space_ids
from jolli.events.tables import FANOUT_VERSION, EventJob, SourceEvent
from jolli.store.db import is_postgres
from jolli.store.models import utcnow
from jolli.store.sql import write_tx


@dataclass(frozen=True)
class NewEvent:
    """What to store for one push to one source."""

    org_id: int
    source_id: int
    event_jrn: str
    head_sha: str
    before_sha: str | None
    branch: str | None
    repo: str | None
    affected_space_ids: list[int]
    integration_id: int | None = None
    delivery_id: str | None = None
    forced: bool = False
    kind: str = "push"  # push | delete
    origin: str = "webhook"  # webhook | legacy
    version: int = FANOUT_VERSION
    received_at: datetime | None = None


@dataclass(frozen=True)
class Stored:
    """The event for a key, and whether this call created it (``False``: a duplicate)."""

    event: SourceEvent
    created: bool
    merged: bool = False


def store_event(new: NewEvent, *, with_job: bool = True) -> Stored:
    """Insert the event (and its job) unless its key exists; return the event either way.

    Call it inside a write transaction (:func:`jolli.store.sql.write_tx`) together with whatever else
    the caller stores, so a failure leaves nothing behind.
    """
    try:
        with write_tx():  # a savepoint: a duplicate key rolls back only this insert
            event = SourceEvent.create(
                org=new.org_id,
                source=new.source_id,
                integration=new.integration_id,
                event_jrn=new.event_jrn,
                head_sha=new.head_sha,
                before_sha=new.before_sha,
                branch=new.branch,
                repo=new.repo,
                affected_space_ids=sorted(new.affected_space_ids),
                version=new.version,
                origin=new.origin,
                kind=new.kind,
                forced=new.forced,
                status="deleted" if new.kind == "delete" else "queued",
                delivery_id=new.delivery_id,
                received_at=new.received_at or utcnow(),
            )
    except peewee.IntegrityError:
        existing = find_event(new.source_id, new.event_jrn, new.head_sha, lock=True)
        if existing is None:  # pragma: no cover - the conflicting row was deleted meanwhile
            raise
        if existing.origin == "legacy" and new.origin == "webhook" and new.kind == "push":
            _merge_into_legacy(existing, new)
            return Stored(existing, created=False, merged=True)
        return Stored(existing, created=False)
    if with_job and new.kind == "push":
        enqueue_event_job(event)
    return Stored(event, created=True)


def find_event(source_id: int, event_jrn: str, head_sha: str, *, lock: bool = False) -> SourceEvent | None:
    """The event for an idempotency key (row-locked on PostgreSQL when ``lock``)."""
    query = SourceEvent.select().where(
        SourceEvent.source == source_id,
        SourceEvent.event_jrn == event_jrn,
        SourceEvent.head_sha == head_sha,
    )
    if lock and is_postgres():
        query = query.for_update()
    return query.first()


def enqueue_event_job(event: SourceEvent, *, run_after: datetime | None = None) -> EventJob:
    """The event's job, created if missing, and queued (again) if it had finished."""
    now = utcnow()
    key = f"event:{event.id}"
    job = EventJob.get_or_none(EventJob.dedupe_key == key)
    if job is None:
        return EventJob.create(
            org=event.org_id,
            kind="event",
            event=event.id,
            dedupe_key=key,
            source_id=event.source_id,
            branch_key=event.branch or "",
            status="queued",
            run_after=run_after or now,
            created_at=now,
            updated_at=now,
        )
    if job.status in ("done", "dead"):
        EventJob.update(
            status="queued", run_after=run_after or now, updated_at=now, finished_at=None,
            failures=0, takeovers=0, last_error=None,
        ).where(EventJob.id == job.id).execute()
        job = EventJob.get_by_id(job.id)
    return job


def _merge_into_legacy(event: SourceEvent, new: NewEvent) -> None:
    """The fanout push for an event a legacy job created: take its spaces and give it a job."""
    spaces = merge_space_ids(event.affected_space_ids, new.affected_space_ids)
    SourceEvent.update(
        affected_space_ids=spaces,
        origin="webhook",
        version=FANOUT_VERSION,
        before_sha=event.before_sha or new.before_sha,
        delivery_id=event.delivery_id or new.delivery_id,
        integration=event.integration_id or new.integration_id,
        status="queued",
        finished_at=None,
    ).where(SourceEvent.id == event.id).execute()
    event.affected_space_ids = spaces
    event.origin = "webhook"
    enqueue_event_job(event)
