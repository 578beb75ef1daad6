"""Retrying by command: bring dead-lettered spaces (or a dead job) of an event back to the queue."""

from __future__ import annotations

from jolli.errors import InvalidInput
from jolli.events.status import EventKind, EventStatus, JobKind, JobStatus, SpaceStatus
from jolli.events.store import enqueue_job
from jolli.events.tables import EventJob, EventSpace, SourceEvent
from jolli.store.models import utcnow
from jolli.store.sql import write_tx


def retry_event(event: SourceEvent, space_ids: list[int] | None = None) -> dict[str, object]:
    """Queue again the failed spaces of ``event`` (all, or ``space_ids``); return what was queued.

    A space that failed for good (``dead``) or is waiting for its next attempt (``retrying``) is reset to
    a fresh set of attempts, due now. An event whose job itself was dead-lettered is queued again too.
    """
    if event.kind != EventKind.PUSH:
        raise InvalidInput(f"event {event.id} is a {event.kind} event; there is nothing to retry")
    now = utcnow()
    with write_tx():  # lock order as in the worker: event, then job
        SourceEvent.update(status=EventStatus.QUEUED, finished_at=None).where(SourceEvent.id == event.id).execute()
        query = EventSpace.select().where(EventSpace.event == event.id, EventSpace.status.in_((SpaceStatus.DEAD, SpaceStatus.RETRYING)))
        if space_ids:
            unknown = sorted(set(space_ids) - set(event.affected_space_ids or []))
            if unknown:
                raise InvalidInput(
                    f"space(s) {', '.join(map(str, unknown))} are not affected by event {event.id}",
                    fields={"spaceIds": ["not affected by this event"]},
                )
            query = query.where(EventSpace.space_id.in_(space_ids))
        spaces = sorted(row.space_id for row in query)
        dead_job = (
            EventJob.select()
            .where(EventJob.event == event.id, EventJob.status == JobStatus.DEAD)
            .exists()
        )
        if not spaces and not dead_job:
            raise InvalidInput(f"event {event.id} has no failed space and no dead job to retry")
        if spaces:
            EventSpace.update(status=SpaceStatus.RETRYING, attempts=0, next_attempt_at=now, updated_at=now).where(
                EventSpace.event == event.id, EventSpace.space_id.in_(spaces)
            ).execute()
        # Legacy jobs of this event that died are queued again as they were; the event job covers the rest.
        EventJob.update(status=JobStatus.QUEUED, run_after=now, failures=0, takeovers=0, finished_at=None,
                        updated_at=now).where(
            EventJob.event == event.id, EventJob.kind == JobKind.LEGACY, EventJob.status == JobStatus.DEAD
        ).execute()
        enqueue_job(event.org_id, event.id, event.source_id, event.branch, now)
        job_id = EventJob.select(EventJob.id).where(EventJob.dedupe_key == f"event:{event.id}").scalar()
    return {"eventId": event.id, "spaceIds": spaces, "jobId": job_id}
