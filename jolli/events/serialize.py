"""The JSON forms of events, space outcomes, audit rows and deliveries (camelCase, UTC ISO 8601)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jolli.events.tables import EventJob, EventSpace, SourceEvent, SpaceAudit, WebhookDelivery


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def event_dict(event: SourceEvent, job: EventJob | None = None) -> dict[str, Any]:
    """An event as the API lists it."""
    body: dict[str, Any] = {
        "id": event.id,
        "sourceId": event.source_id,
        "eventJrn": event.event_jrn,
        "headSha": event.head_sha,
        "beforeSha": event.before_sha,
        "branch": event.branch,
        "repo": event.repo,
        "affectedSpaceIds": list(event.affected_space_ids or []),
        "version": event.version,
        "kind": event.kind,
        "origin": event.origin,
        "forced": event.forced,
        "orderAssumed": bool(event.order_assumed),
        "status": event.status,
        "integrationId": event.integration_id,
        "deliveryId": event.delivery_id,
        "receivedAt": _time(event.received_at),
        "finishedAt": _time(event.finished_at),
    }
    if job is not None:
        body["job"] = job_dict(job)
    return body


def job_dict(job: EventJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "runAfter": _time(job.run_after),
        "failures": job.failures,
        "takeovers": job.takeovers,
        "lastError": job.last_error,
        "finishedAt": _time(job.finished_at),
    }


def space_dict(state: EventSpace) -> dict[str, Any]:
    """Where one space stands for an event."""
    return {
        "spaceId": state.space_id,
        "status": state.status,
        "attempts": state.attempts,
        "nextAttemptAt": _time(state.next_attempt_at),
        "reason": state.reason,
        "detail": state.detail,
        "updatedAt": _time(state.updated_at),
    }


def audit_dict(row: SpaceAudit) -> dict[str, Any]:
    """One audit row."""
    return {
        "id": row.id,
        "eventId": row.event_id,
        "spaceId": row.space_id,
        "sourceId": row.source_id,
        "eventJrn": row.event_jrn,
        "headSha": row.head_sha,
        "outcome": row.outcome,
        "reason": row.reason,
        "attempt": row.attempt,
        "detail": row.detail,
        "worker": row.worker,
        "createdAt": _time(row.created_at),
    }


def delivery_dict(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "integrationId": row.integration_id,
        "provider": row.provider,
        "deliveryId": row.delivery_id,
        "outcome": row.outcome,
        "reason": row.reason,
        "refs": row.refs or [],
        "eventIds": row.event_ids or [],
        "receivedAt": _time(row.received_at),
    }
