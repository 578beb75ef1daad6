"""Checks of a source, on demand and on schedule: ``POST /api/sources/:id/sync``, a source's check state and
interval, an integration's webhook health and check interval.

``POST /sync`` without a body asks the source type where the source stands now (as the scheduled check
does); with ``{"cursor": ...}`` it takes the cursor a client read from a mount (``jolli source sync``),
validated by the source type like any cursor. Either way a new head is stored through the one store path
(origin ``manual``) and the answer says what was found: a new head and its event, or unchanged.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate

from jolli.api.auth import current_org
from jolli.api.integrations import get_integration, webhook_url
from jolli.api.rest import Blueprint
from jolli.api.schemas import CheckStateSchema, StrictSchema, WebhookHealthSchema
from jolli.api.sources import _cursor_value, get_source
from jolli.errors import Conflict, InvalidInput, JolliError, NotAvailable
from jolli.events.config import EventSettings

bp = Blueprint("checks", __name__)

#: Where ``create_app`` keeps the event settings it read once (``app.extensions``).
EVENT_SETTINGS = "jolli.event_settings"


def event_settings() -> EventSettings:
    """The event settings the app was built with (read from the environment once, when it started)."""
    found: EventSettings = current_app.extensions[EVENT_SETTINGS]
    return found


class SyncSchema(StrictSchema):
    """Optional: the cursor read from a mount; without it the server asks the source type."""

    cursor = fields.String(validate=validate.Length(min=1, max=512),
                           metadata={"description": "the source's cursor as a client read it from a mount"})


class SyncResultSchema(StrictSchema):
    """What a sync found."""

    source_id = fields.Integer(data_key="sourceId")
    result = fields.String(metadata={"description": "changed, known (already stored), unchanged"})
    head = fields.String(allow_none=True)
    event_id = fields.Integer(data_key="eventId", allow_none=True)
    origin = fields.String()
    detail = fields.String(allow_none=True)


class IntervalSchema(StrictSchema):
    """An interval of its own (``null``: back to the default)."""

    interval_seconds = fields.Float(data_key="intervalSeconds", required=True, allow_none=True,
                                    validate=validate.Range(min=5, max=7 * 24 * 3600))


class IntegrationIntervalSchema(Schema):
    """An integration's own interval between checks (``null``: the default)."""

    integration_id = fields.Integer(data_key="integrationId")
    interval_seconds = fields.Float(data_key="intervalSeconds", allow_none=True)


class Throttled(JolliError):
    """The provider asked to slow down: this integration's checks are paused."""

    status = 429
    title = "Rate limited"


class CheckFailed(JolliError):
    status = 502
    title = "Check failed"


def _reported(row: Any, value: str) -> str:
    """A reported cursor, validated by the source type like any cursor (errors name ``cursor``)."""
    try:
        return _cursor_value(row, value)
    except InvalidInput as exc:
        raise InvalidInput(f"cursor: {exc.message}", fields={"cursor": [exc.message]}) from None


@bp.post("/api/sources/<int:source_id>/sync", tags=["sources"])
@bp.arguments(SyncSchema, location="optional_json", required=False)
@bp.response(200, SyncResultSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.alt_response(502, response="BAD_GATEWAY")
def sync_source(data: dict[str, Any], source_id: int) -> dict[str, Any]:
    """Check a source now

    Ask where the source stands now (or take the cursor read from its mount) and store what is new.
    """
    from jolli.events import checks
    from jolli.events.checker import check_source, client_for, record
    from jolli.events.checks import CheckResult, Outcome
    from jolli.events.leases import worker_name
    from jolli.events.status import Origin

    org = current_org()
    row = get_source(source_id, org)
    if not row.enabled:  # a disabled source stores no events: said, not tried and failed
        raise Conflict(f"source {row.id} is disabled; enable it first (PATCH /api/sources/{row.id} "
                       '{"enabled": true}) to check it', fields={"enabled": ["the source is disabled"]})
    reported = _reported(row, data["cursor"]) if "cursor" in data else None
    settings = event_settings()
    holder = worker_name(98)
    due = checks.claim_one(holder, row.id, checks.now_seconds(), settings.lease_seconds)
    if due is None:
        raise Conflict("a check of this source is running; try again in a few seconds",
                       fields={"id": ["a check is running"]})
    if reported is None:
        outcome = check_source(due, client_for(due, settings), settings, Origin.MANUAL)
    elif reported in (due.cursor, due.last_value):
        outcome = Outcome(due.source_id, due.integration_id, CheckResult.UNCHANGED, value=reported,
                          validators_changed=True)
    else:
        outcome = record(due, reported, Origin.MANUAL)
    checks.finish(holder, [outcome], {None: settings.check_interval_seconds}, settings.check_jitter,
                  checks.now_seconds())
    if outcome.result == CheckResult.UNSUPPORTED:
        why = (outcome.detail or "").split(": run")[0]
        raise NotAvailable(f"{why}; run 'jolli source sync {row.name}' on the machine where it is mounted (it sends "
                           "the cursor it reads there)",
                           fields={"cursor": [f"required for a {row.type} source"]})
    if outcome.result == CheckResult.PAUSED:
        raise Throttled(f"the provider asked to slow down: {outcome.detail}")
    if outcome.result == CheckResult.ERROR:
        raise CheckFailed(f"the check failed: {outcome.detail}")
    value = outcome.value or due.last_value or due.cursor
    return {"source_id": row.id, "result": str(outcome.result), "head": value, "event_id": outcome.event_id,
            "origin": str(Origin.MANUAL), "detail": outcome.detail}


@bp.put("/api/sources/<int:source_id>/check", tags=["sources"])
@bp.arguments(IntervalSchema)
@bp.response(200, CheckStateSchema)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def put_source_interval(data: dict[str, Any], source_id: int) -> dict[str, Any]:
    """Set a source's check interval

    An interval between checks of this source of its own.
    """
    from jolli.events import checks

    row = get_source(source_id, current_org())
    checks.set_interval(source_id=row.id, seconds=_seconds(data))
    return checks.source_check_row(row.id) or {}


@bp.put("/api/integrations/<int:integration_id>/check", tags=["integrations"])
@bp.arguments(IntervalSchema)
@bp.response(200, IntegrationIntervalSchema)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def put_integration_interval(data: dict[str, Any], integration_id: int) -> dict[str, Any]:
    """Set an integration's check interval

    An interval between checks of the sources of this integration (a source's own interval wins).
    """
    from jolli.events import checks

    row = get_integration(integration_id, current_org())
    seconds = _seconds(data)
    checks.set_interval(integration_id=row.id, seconds=seconds)
    return {"integration_id": row.id, "interval_seconds": seconds}


@bp.get("/api/integrations/<int:integration_id>/health", tags=["integrations"])
@bp.response(200, WebhookHealthSchema)
def get_integration_health(integration_id: int) -> dict[str, Any]:
    """An integration's webhook health

    Last verified delivery, webhook gaps of the last 24 h, any pause of its checks, and the fix.
    """
    row = get_integration(integration_id, current_org())
    return integration_health(row.id)


def integration_health(integration_id: int) -> dict[str, Any]:
    """The webhook health of one integration (for ``GET /api/integrations/:id`` too)."""
    from jolli.events.health import webhook_health

    return webhook_health(integration_id, event_settings().webhook_grace_seconds, webhook_url(integration_id))


def _seconds(data: dict[str, Any]) -> float | None:
    value = data["interval_seconds"]
    return float(value) if value is not None else None
