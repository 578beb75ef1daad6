"""Seeing and steering source events: lists, one event with its per-space outcomes, a space's audit,
webhook deliveries, retry by command, and the legacy per-space job intake used during the rollout.

Everything is org-scoped: an id of another org answers 404, as a missing one does. Lists are keyset
pages ``{"items": [...], "next": id}``; ``order=desc`` gives the newest first (``after`` then means
"older than").
"""

from __future__ import annotations

from typing import Any

import peewee
from flask import Blueprint, Response, jsonify, request
from marshmallow import fields, validate

from jolli.api.auth import current_org
from jolli.api.bodies import load_query
from jolli.api.schemas import MAX_ID, PageQuerySchema
from jolli.api.spec import doc
from jolli.contracts import StrictSchema
from jolli.errors import InvalidInput, NotFound
from jolli.events import legacy
from jolli.events.audit import OUTCOMES
from jolli.events.retry import retry_event
from jolli.events.serialize import audit_dict, delivery_dict, event_dict, job_dict, space_dict
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


def _page(query: Any, key: peewee.Field, args: dict[str, Any]) -> tuple[list[Any], int | None]:
    limit, after, desc = args["limit"], args.get("after"), args.get("order") == "desc"
    if after is not None:
        query = query.where(key < after if desc else key > after)
    rows = list(query.order_by(key.desc() if desc else key).limit(limit + 1))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, int(rows[-1].id)
    return rows, None


def owned(model: Any, object_id: int, org: Org, what: str) -> Any:
    """The ``model`` row ``object_id`` of ``org``; 404 when missing or another org's."""
    row = model.get_or_none((model.id == object_id) & (model.org == org))
    if row is None:
        raise NotFound(f"no {what} {object_id}", fields={"id": [f"no {what} {object_id} in this org"]})
    return row


def events_page(query: Any, args: dict[str, Any]) -> dict[str, Any]:
    """A keyset page of ``query`` (source events) filtered by ``status`` and ``origin`` as ``args`` say."""
    if "status" in args:
        query = query.where(SourceEvent.status == args["status"])
    if "origin" in args:
        query = query.where(SourceEvent.origin == args["origin"])
    rows, after = _page(query, SourceEvent.id, args)
    return {"items": [event_dict(row) for row in rows], "next": after}


@bp.get("/api/sources/<int:source_id>/events")
@doc(summary="List a source's events", tag="events", query=EventQuerySchema, responses={200: None})
def list_source_events(source_id: int) -> dict[str, Any]:
    """The source events of one source."""
    org = current_org()
    source = owned(Source, source_id, org, "source")
    args = load_query(EventQuerySchema())
    return events_page(SourceEvent.select().where(SourceEvent.source == source.id), args)


@bp.get("/api/events")
@doc(summary="List events", tag="events", query=EventQuerySchema, responses={200: None})
def list_events() -> dict[str, Any]:
    """The org's source events (``status=failed`` lists the dead letters)."""
    args = load_query(EventQuerySchema())
    return events_page(org_events(current_org(), args), args)


def org_events(org: Org, args: dict[str, Any]) -> Any:
    """The query of ``org``'s source events, of one source when ``args`` has ``source_id``."""
    query = SourceEvent.select().where(SourceEvent.org == org)
    if "source_id" in args:
        query = query.where(SourceEvent.source == args["source_id"])
    return query


@bp.get("/api/events/<int:event_id>")
@doc(summary="Get an event with its per-space outcomes", tag="events", responses={200: None})
def get_event(event_id: int) -> dict[str, Any]:
    """The event, its jobs, where each affected space stands, and the audit trail."""
    return event_detail(owned(SourceEvent, event_id, current_org(), "event"))


def event_detail(event: SourceEvent) -> dict[str, Any]:
    """An event with its jobs, where each affected space stands, and its audit trail."""
    body = event_dict(event)
    body["jobs"] = [job_dict(job) for job in EventJob.select().where(EventJob.event == event.id).order_by(EventJob.id)]
    states = {s.space_id: s for s in EventSpace.select().where(EventSpace.event == event.id)}
    body["spaces"] = [
        space_dict(states[space_id]) if space_id in states else {"spaceId": space_id, "status": "pending"}
        for space_id in sorted(set(event.affected_space_ids or []) | set(states))
    ]
    body["audit"] = [audit_dict(row) for row in SpaceAudit.select().where(SpaceAudit.event == event.id)
                     .order_by(SpaceAudit.id).limit(5000)]
    return body


@bp.post("/api/events/<int:event_id>/retry")
@doc(summary="Retry an event's failed spaces", tag="events", body=RetryBodySchema, responses={202: None})
def retry(event_id: int) -> tuple[Response, int]:
    """Queue the dead-lettered spaces (all, or ``spaceIds``) again with fresh attempts."""
    event = owned(SourceEvent, event_id, current_org(), "event")
    raw = request.get_json(silent=True) if request.get_data() else {}
    if raw is None or not isinstance(raw, dict):
        raise InvalidInput("the body must be a JSON object like {\"spaceIds\": [3, 4]}")
    data = RetryBodySchema().load(raw)
    return jsonify(retry_event(event, data.get("space_ids"))), 202


@bp.get("/api/spaces/<int:space_id>/audit")
@doc(summary="A space's audit trail", tag="events", query=AuditQuerySchema, responses={200: None})
def space_audit(space_id: int) -> dict[str, Any]:
    """Every outcome recorded for one space (processed, skipped-duplicate, skipped-stale, failed)."""
    org = current_org()
    space = owned(Space, space_id, org, "space")
    args = load_query(AuditQuerySchema())
    query = SpaceAudit.select().where(SpaceAudit.space_id == space.id, SpaceAudit.org == org)
    if "outcome" in args:
        query = query.where(SpaceAudit.outcome == args["outcome"])
    if "event_id" in args:
        query = query.where(SpaceAudit.event == args["event_id"])
    rows, after = _page(query, SpaceAudit.id, args)
    return {"items": [audit_dict(row) for row in rows], "next": after}


@bp.get("/api/integrations/<int:integration_id>/deliveries")
@doc(summary="An integration's webhook deliveries", tag="events", query=ListQuerySchema, responses={200: None})
def deliveries(integration_id: int) -> dict[str, Any]:
    """Verified deliveries that created no event: ignored (tags, pings, deletions, untracked pushes; with
    the reason) and duplicates (with the existing event ids). Accepted ones are on record as their events."""
    integration = owned(Integration, integration_id, current_org(), "integration")
    return deliveries_page(integration.id, load_query(ListQuerySchema()))


def deliveries_page(integration_id: int, args: dict[str, Any]) -> dict[str, Any]:
    """A keyset page of an integration's recorded deliveries (ignored ones and duplicates)."""
    rows, after = _page(WebhookDelivery.select().where(WebhookDelivery.integration == integration_id),
                        WebhookDelivery.id, args)
    return {"items": [delivery_dict(row) for row in rows], "next": after}


@bp.post("/api/events/legacy-jobs")
@doc(summary="Queue legacy per-space jobs (rollout)", tag="events", body=legacy.LegacyJobSchema, responses={202: None},
     errors=(400, 404), description="One legacy job object, or a list of 1 to 1000 of them (all or nothing).")
def queue_legacy_jobs() -> tuple[Response, int]:
    """Accept one legacy job or a list of them, as the previous producer queued them."""
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
    return jsonify({"jobIds": job_ids}), 202
