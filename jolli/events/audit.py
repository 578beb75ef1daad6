"""Audit rows and log lines for space outcomes, both carrying spaceId, sourceId, eventJrn and headSha."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from jolli.events.status import Outcome
from jolli.events.tables import SourceEvent
from jolli.store import sql as raw
from jolli.store.models import utcnow

log = logging.getLogger(__name__)

OUTCOMES = tuple(str(o) for o in Outcome)


def as_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass
class SpaceOutcome:
    """One (event, space) outcome waiting to be written."""

    space_id: int
    outcome: str  # an Outcome, or "" for a space still to process
    reason: str | None = None
    attempt: int = 1
    detail: Any = None


def statements(event: SourceEvent, outcomes: list[SpaceOutcome], *, job_id: int | None,
               worker: str | None) -> list[raw.Statement]:
    """The inserts of the audit rows (one statement per 500), to run in the caller's transaction."""
    now = raw.naive(utcnow())
    return raw.inserts(
        "space_audit",
        ["org_id", "event_id", "job_id", "space_id", "source_id", "event_jrn", "head_sha", "outcome", "reason",
         "attempt", "detail", "worker", "created_at"],
        [(event.org_id, event.id, job_id, o.space_id, event.source_id, event.event_jrn, event.head_sha, o.outcome,
          o.reason, o.attempt, as_json(o.detail), worker, now) for o in outcomes],
    )


def log_outcomes(event: SourceEvent, outcomes: list[SpaceOutcome]) -> None:
    """One log line per outcome, carrying the same keys as the audit row."""
    for o in outcomes:
        level = logging.WARNING if o.outcome == Outcome.FAILED else logging.INFO
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
