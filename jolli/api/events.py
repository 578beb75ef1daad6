"""Seeing and steering source events: lists, one event with its per-space outcomes, a space's audit,
webhook deliveries, retry by command, and the legacy per-space job intake used during the rollout.

Everything is org-scoped: an id of another org answers 404, as a missing one does. Lists are keyset
pages ``{"items": [...], "next": id}``; ``order=desc`` gives the newest first (``after`` then means
"older than").
"""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import fields, validate

from jolli.api.auth import current_org
from jolli.api.rest import Blueprint
from jolli.api.schemas import (
    MAX_ID,
    AuditPageSchema,
    DeliveryPageSchema,
    EventDetailSchema,
    EventPageSchema,
    PageQuerySchema,
    QueuedJobsSchema,
    RetryResultSchema,
    page,
)
from jolli.contracts import StrictSchema
from jolli.errors import InvalidInput, NotFound
from jolli.events import legacy
from jolli.events.audit import OUTCOMES
from jolli.events.retry import retry_event
from jolli.events.status import EventStatus, Origin
from jolli.events.tables import EventJob, EventSpace, SourceEvent, SpaceAudit, WebhookDelivery
from jolli.store.models import Integration, Org, Source, Space
from jolli.store.sql import write_tx

bp = Blueprint("events", __name__)

EVENT_STATUSES = tuple(str(s) for s in EventStatus)
ORIGINS = tuple(str(o) for o in Origin)


class ListQuerySchema(PageQuerySchema):
    """Keyset page; ``order=desc`` lists newest first."""

    order = fields.String(load_default="asc", validate=validate.OneOf(("asc", "desc")))


class EventQuerySchema(ListQuerySchema):
    status = fields.String(validate=validate.OneOf(EVENT_STATUSES))
    source_id = fields.Integer(data_key="sourceId", validate=validate.Range(min=1, max=MAX_ID))
    origin = fields.String(validate=validate.OneOf(ORIGINS))


class AuditQuerySchema(ListQuerySchema):
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    event_id = fields.Integer(data_key="eventId", validate=validate.Range(min=1, max=MAX_ID))


class RetryBodySchema(StrictSchema):
    space_ids = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)), data_key="spaceIds")


def _page(query: Any, key: Any, args: dict[str, Any]) -> dict[str, Any]:
    rows, after = page(query, key, args["limit"], args.get("after"), desc=args.get("order") == "desc")
    return {"items": rows, "next": after}


def owned(model: Any, object_id: int, org: Org, what: str) -> Any:
    """The ``model`` row ``object_id`` of ``org``; 404 when missing or another org's."""
    row = model.get_or_none((model.id == object_id) & (model.org == org))
    if row is None:
        raise NotFound(f"no {what} {object_id}", fields={"id": [f"no {what} {object_id} in this org"]})
    return row


def _events(query: Any, args: dict[str, Any]) -> dict[str, Any]:
    if "status" in args:
        query = query.where(SourceEvent.status == args["status"])
    if "origin" in args:
        query = query.where(SourceEvent.origin == args["origin"])
    return _page(query, SourceEvent.id, args)


def events_page(query: Any, args: dict[str, Any]) -> dict[str, Any]:
    """A keyset page of ``query`` (source events) filtered by ``status`` and ``origin`` as ``args`` say,
    as the API answers it."""
    return EventPageSchema().dump(_events(query, args))


@bp.get("/api/sources/<int:source_id>/events")
@bp.arguments(EventQuerySchema, location="query")
@bp.response(200, EventPageSchema)
def list_source_events(args: dict[str, Any], source_id: int) -> dict[str, Any]:
    """List a source's events

    The source events of one source.
    """
    org = current_org()
    source = owned(Source, source_id, org, "source")
    return _events(SourceEvent.select().where(SourceEvent.source == source.id), args)


@bp.get("/api/events")
@bp.arguments(EventQuerySchema, location="query")
@bp.response(200, EventPageSchema)
def list_events(args: dict[str, Any]) -> dict[str, Any]:
    """List events

    The org's source events (``status=failed`` lists the dead letters).
    """
    return _events(org_events(current_org(), args), args)


def org_events(org: Org, args: dict[str, Any]) -> Any:
    """The query of ``org``'s source events, of one source when ``args`` has ``source_id``."""
    query = SourceEvent.select().where(SourceEvent.org == org)
    if "source_id" in args:
        query = query.where(SourceEvent.source == args["source_id"])
    return query


@bp.get("/api/events/<int:event_id>")
@bp.response(200, EventDetailSchema)
def get_event(event_id: int) -> _Detail:
    """Get an event with its per-space outcomes

    The event, its jobs, where each affected space stands, and the audit trail.
    """
    return _detail(owned(SourceEvent, event_id, current_org(), "event"))


class _Detail:
    """An event and what :class:`EventDetailSchema` adds to it, read as one object."""

    def __init__(self, event: SourceEvent, **parts: list[Any]) -> None:
        self.event = event
        self.__dict__.update(parts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.event, name)


def _detail(event: SourceEvent) -> _Detail:
    states = {s.space_id: s for s in EventSpace.select().where(EventSpace.event == event.id)}
    return _Detail(
        event,
        jobs=list(EventJob.select().where(EventJob.event == event.id).order_by(EventJob.id)),
        spaces=[states.get(space_id) or {"space_id": space_id, "status": "pending"}
                for space_id in sorted(set(event.affected_space_ids or []) | set(states))],
        audit=list(SpaceAudit.select().where(SpaceAudit.event == event.id).order_by(SpaceAudit.id).limit(5000)),
    )


def event_detail(event: SourceEvent) -> dict[str, Any]:
    """An event with its jobs, where each affected space stands, and its audit trail, as the API answers it."""
    detail: dict[str, Any] = EventDetailSchema().dump(_detail(event))
    return detail


@bp.post("/api/events/<int:event_id>/retry")
@bp.arguments(RetryBodySchema, location="optional_json", required=False)
@bp.response(202, RetryResultSchema)
def retry(data: dict[str, Any], event_id: int) -> dict[str, object]:
    """Retry an event's failed spaces

    Queue the dead-lettered spaces (all, or ``spaceIds``) again with fresh attempts.
    """
    event = owned(SourceEvent, event_id, current_org(), "event")
    return retry_event(event, data.get("space_ids"))


@bp.get("/api/spaces/<int:space_id>/audit")
@bp.arguments(AuditQuerySchema, location="query")
@bp.response(200, AuditPageSchema)
def space_audit(args: dict[str, Any], space_id: int) -> dict[str, Any]:
    """A space's audit trail

    Every outcome recorded for one space (processed, skipped-duplicate, skipped-stale, failed).
    """
    org = current_org()
    space = owned(Space, space_id, org, "space")
    query = SpaceAudit.select().where(SpaceAudit.space_id == space.id, SpaceAudit.org == org)
    if "outcome" in args:
        query = query.where(SpaceAudit.outcome == args["outcome"])
    if "event_id" in args:
        query = query.where(SpaceAudit.event == args["event_id"])
    return _page(query, SpaceAudit.id, args)


@bp.get("/api/integrations/<int:integration_id>/deliveries")
@bp.arguments(ListQuerySchema, location="query")
@bp.response(200, DeliveryPageSchema)
def deliveries(args: dict[str, Any], integration_id: int) -> dict[str, Any]:
    """An integration's webhook deliveries

    Verified deliveries that created no event: ignored (tags, pings, deletions, untracked pushes; with
    the reason) and duplicates (with the existing event ids). Accepted ones are on record as their events.
    """
    integration = owned(Integration, integration_id, current_org(), "integration")
    return _deliveries(integration.id, args)


def _deliveries(integration_id: int, args: dict[str, Any]) -> dict[str, Any]:
    return _page(WebhookDelivery.select().where(WebhookDelivery.integration == integration_id),
                 WebhookDelivery.id, args)


def deliveries_page(integration_id: int, args: dict[str, Any]) -> dict[str, Any]:
    """A keyset page of an integration's recorded deliveries (ignored ones and duplicates), as the API
    answers it."""
    return DeliveryPageSchema().dump(_deliveries(integration_id, args))


@bp.post("/api/events/legacy-jobs")
@bp.doc(requestBody={"required": True, "description": "One legacy job object, or a list of 1 to 1000 of them "
                     "(all or nothing).", "content": {"application/json": {"schema": legacy.LegacyJobSchema}}})
@bp.response(202, QueuedJobsSchema)
@bp.alt_response(404, response="NOT_FOUND")
def queue_legacy_jobs() -> tuple[dict[str, Any], int]:
    """Queue legacy per-space jobs (rollout)

    Accept one legacy job or a list of them, as the previous producer queued them: each is loaded by
    ``LegacyJobSchema`` (one object, or a list of 1 to 1000 of them; all or nothing).
    """
    org = current_org()
    raw = request.get_json(silent=True)
    items = raw if isinstance(raw, list) else [raw]
    if not items or len(items) > 1000:
        raise InvalidInput("send one legacy job object or a list of 1 to 1000 of them")
    job_ids = []
    with write_tx():  # all or nothing
        for index, item in enumerate(items):
            try:
                job_ids.append(legacy.enqueue(item, org_id=org.id).id)
            except (InvalidInput, NotFound) as exc:
                prefix = f"{index}." if isinstance(raw, list) else ""
                raise type(exc)(exc.message, fields={prefix + k: v for k, v in exc.fields.items()}) from None
    return {"job_ids": job_ids}, 202
