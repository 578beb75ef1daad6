"""Retrying by command: bring dead-lettered spaces (or a dead job) of an event back to the queue."""

from __future__ import annotations

from jolli.errors import InvalidInput
from jolli.events.create import enqueue_event_job
from jolli.events.tables import EventJob, EventSpace, SourceEvent
from jolli.store.models import utcnow
from jolli.store.sql import write_tx


def retry_event(event: SourceEvent, space_ids: list[int] | None = None) -> dict[str, object]:
    """Queue again the failed spaces of ``event`` (all, or ``space_ids``); return what was queued.

    A space that failed for good (``dead``) or is waiting for its next attempt (``retrying``) is reset to
    a fresh set of attempts, due now. An event whose job itself was dead-lettered is queued again too.
    """
    if event.kind != "push":
        raise InvalidInput(f"event {event.id} is a {event.kind} event; there is nothing to retry")
    now = utcnow()
    with write_tx():  # lock order as in the worker: event, then job
        SourceEvent.update(status="queued", finished_at=None).where(SourceEvent.id == event.id).execute()
        query = EventSpace.select().where(EventSpace.event == event.id, EventSpace.status.in_(("dead", "retrying")))
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
            .where(EventJob.event == event.id, EventJob.status == "dead")
            .exists()
        )
        if not spaces and not dead_job:
            raise InvalidInput(f"event {event.id} has no failed space and no dead job to retry")
        if spaces:
            EventSpace.update(status="retrying", attempts=0, next_attempt_at=now, updated_at=now).where(
                EventSpace.event == event.id, EventSpace.space_id.in_(spaces)
            ).execute()
        # Legacy jobs of this event that died are queued again as they were; the event job covers the rest.
        EventJob.update(status="queued", run_after=now, failures=0, takeovers=0, finished_at=None,
                        updated_at=now).where(
            EventJob.event == event.id, EventJob.kind == "legacy", EventJob.status == "dead"
        ).execute()
        job = enqueue_event_job(event, run_after=now)
    return {"eventId": event.id, "spaceIds": spaces, "jobId": job.id}
