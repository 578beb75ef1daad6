"""Checks of a source, on demand and on schedule: ``POST /api/sources/:id/sync``, a source's check state and
interval, an integration's webhook health and check interval.

``POST /sync`` without a body asks the source type where the source stands now (as the scheduled check
does); with ``{"cursor": ...}`` it takes the cursor a client read from a mount (``jolli source sync``),
validated by the source type like any cursor. Either way a new head is stored through the one store path
(origin ``manual``) and the answer says what was found: a new head and its event, or unchanged.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import fields, validate

from jolli.api.auth import current_org
from jolli.api.bodies import load_body
from jolli.api.integrations import get_integration, webhook_url
from jolli.api.schemas import StrictSchema
from jolli.api.sources import _cursor_value, get_source
from jolli.api.spec import doc
from jolli.errors import Conflict, InvalidInput, JolliError, NotAvailable

bp = Blueprint("checks", __name__)


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


class Throttled(JolliError):
    """The provider asked to slow down: this integration's checks are paused."""

    status = 429
    title = "Rate limited"


class CheckFailed(JolliError):
    status = 502
    title = "Check failed"


def _body() -> dict[str, Any]:
    """The optional body of ``POST /sync`` (no body: ask the source type)."""
    from flask import request

    return load_body(SyncSchema()) if request.get_data(cache=True).strip() else {}


def _reported(row: Any, value: str) -> str:
    """A reported cursor, validated by the source type like any cursor (errors name ``cursor``)."""
    try:
        return _cursor_value(row, value)
    except InvalidInput as exc:
        raise InvalidInput(f"cursor: {exc.message}", fields={"cursor": [exc.message]}) from None


@bp.post("/api/sources/<int:source_id>/sync")
@doc(summary="Check a source now", tag="sources", body=SyncSchema, responses={200: SyncResultSchema},
     errors=(409, 422, 429, 502))
def sync_source(source_id: int) -> dict[str, Any]:
    """Ask where the source stands now (or take the cursor read from its mount) and store what is new."""
    from jolli.events import checks
    from jolli.events.checker import check_source, client_for, record
    from jolli.events.checks import CheckResult, Outcome
    from jolli.events.config import EventSettings
    from jolli.events.leases import worker_name
    from jolli.events.status import Origin

    org = current_org()
    row = get_source(source_id, org)
    data = _body()
    reported = _reported(row, data["cursor"]) if "cursor" in data else None
    settings = EventSettings.from_env()
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
    return SyncResultSchema().dump({"source_id": row.id, "result": str(outcome.result), "head": value,
                                    "event_id": outcome.event_id, "origin": str(Origin.MANUAL),
                                    "detail": outcome.detail})


@bp.put("/api/sources/<int:source_id>/check")
@doc(summary="Set a source's check interval", tag="sources", body=IntervalSchema, responses={200: None},
     errors=(422,))
def put_source_interval(source_id: int) -> dict[str, Any]:
    """An interval between checks of this source of its own."""
    from jolli.events import checks

    row = get_source(source_id, current_org())
    data = _interval()
    checks.set_interval(source_id=row.id, seconds=data)
    return checks.source_check_row(row.id) or {}


@bp.put("/api/integrations/<int:integration_id>/check")
@doc(summary="Set an integration's check interval", tag="integrations", body=IntervalSchema,
     responses={200: None}, errors=(422,))
def put_integration_interval(integration_id: int) -> dict[str, Any]:
    """An interval between checks of the sources of this integration (a source's own interval wins)."""
    from jolli.events import checks

    row = get_integration(integration_id, current_org())
    seconds = _interval()
    checks.set_interval(integration_id=row.id, seconds=seconds)
    return {"integrationId": row.id, "intervalSeconds": seconds}


@bp.get("/api/integrations/<int:integration_id>/health")
@doc(summary="An integration's webhook health", tag="integrations", responses={200: None})
def get_integration_health(integration_id: int) -> dict[str, Any]:
    """Last verified delivery, webhook gaps of the last 24 h, any pause of its checks, and the fix."""
    row = get_integration(integration_id, current_org())
    return integration_health(row.id)


def integration_health(integration_id: int) -> dict[str, Any]:
    """The webhook health of one integration (for ``GET /api/integrations/:id`` too)."""
    from jolli.events.config import EventSettings
    from jolli.events.health import webhook_health

    return webhook_health(integration_id, EventSettings.from_env().webhook_grace_seconds, webhook_url(integration_id))


def _interval() -> float | None:
    value = load_body(IntervalSchema())["interval_seconds"]
    return float(value) if value is not None else None
