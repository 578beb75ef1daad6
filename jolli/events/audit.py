"""Audit rows and log lines for space outcomes, both carrying spaceId, sourceId, eventJrn and headSha."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from jolli.events.models import SourceEvent, SpaceAudit
from jolli.store.models import utcnow

log = logging.getLogger("jolli.events")

PROCESSED = "processed"
SKIPPED_DUPLICATE = "skipped-duplicate"
SKIPPED_STALE = "skipped-stale"
FAILED = "failed"
OUTCOMES = (PROCESSED, SKIPPED_DUPLICATE, SKIPPED_STALE, FAILED)


@dataclass
class Outcome:
    """One (event, space) outcome waiting to be written."""

    space_id: int
    outcome: str
    reason: str | None = None
    attempt: int = 1
    detail: Any = None


def write(event: SourceEvent, outcomes: list[Outcome], *, job_id: int | None, worker: str | None) -> None:
    """Insert the audit rows (one statement) and log one line per outcome."""
    if not outcomes:
        return
    now = utcnow()
    rows = [
        {
            "org": event.org_id,
            "event": event.id,
            "job_id": job_id,
            "space_id": o.space_id,
            "source_id": event.source_id,
            "event_jrn": event.event_jrn,
            "head_sha": event.head_sha,
            "outcome": o.outcome,
            "reason": o.reason,
            "attempt": o.attempt,
            "detail": o.detail,
            "worker": worker,
            "created_at": now,
        }
        for o in outcomes
    ]
    for start in range(0, len(rows), 500):
        SpaceAudit.insert_many(rows[start : start + 500]).execute()
    for o in outcomes:
        level = logging.WARNING if o.outcome == FAILED else logging.INFO
        log.log(
            level,
            "space outcome=%s spaceId=%s sourceId=%s eventJrn=%s headSha=%s eventId=%s attempt=%s%s",
            o.outcome, o.space_id, event.source_id, event.event_jrn, event.head_sha, event.id, o.attempt,
            f" reason={o.reason!r}" if o.reason else "",
            extra={
                "spaceId": o.space_id, "sourceId": event.source_id, "eventJrn": event.event_jrn,
                "headSha": event.head_sha, "eventId": event.id, "outcome": o.outcome,
            },
        )
