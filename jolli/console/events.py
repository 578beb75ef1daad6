"""Events: the list (newest first; by source, status and origin), one event with its spaces, and retry.

The list and the event are read through the API's own queries (:mod:`jolli.api.events`) and the retry is
the API's retry (:func:`jolli.events.retry.retry_event`).
"""

from __future__ import annotations

from typing import Any

from flask import make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from jolli.api.events import ORIGINS, EventQuerySchema, event_detail, events_page, org_events, owned
from jolli.console.blueprint import bp, is_live, org, query_args
from jolli.errors import InvalidInput
from jolli.events.retry import retry_event
from jolli.events.status import EventStatus
from jolli.events.tables import SourceEvent
from jolli.store.models import Source, Space

FILTERS = ("sourceId", "status", "origin", "after")
STATUSES = tuple(str(s) for s in EventStatus)
#: Events listed per page.
PAGE = 50
#: Event states that change by themselves (the page keeps polling while the event is in one).
OPEN_STATES = (EventStatus.QUEUED, EventStatus.PROCESSING)


def listed() -> dict[str, Any]:
    """One page of the org's events, newest first, as the filters in the query string say."""
    args = query_args(EventQuerySchema(), FILTERS, order="desc", limit=PAGE)
    page = events_page(org_events(org(), args), args)
    filters = {k: request.args.get(k, "") for k in FILTERS if k != "after"}
    return {"events": page["items"], "next": page["next"], "filters": filters, "paged": "after" in args,
            "statuses": STATUSES, "origins": ORIGINS}


@bp.get("/events")
def events() -> str:
    return render_template("console/events.html", **listed())


@bp.get("/events/rows")
def event_rows() -> str:
    """The live update of the list: the first page again (one query)."""
    return render_template("console/_event_rows.html", **listed())


def _detail(event_id: int) -> dict[str, Any]:
    event = owned(SourceEvent, event_id, org(), "event")
    detail = event_detail(event)
    ids = [s["spaceId"] for s in detail["spaces"]]
    names = {row.id: row.name for row in Space.select(Space.id, Space.name)
             .where(Space.org == org().id, Space.id.in_(ids))} if ids else {}
    source = Source.select(Source.name).where(Source.id == event.source_id, Source.org == org().id).first()
    return {"event": detail, "names": names, "source_name": source.name if source else None, "open": event.status in OPEN_STATES
            or any(s["status"] in ("pending", "retrying") for s in detail["spaces"])}


@bp.get("/events/<int:event_id>")
def event(event_id: int) -> str:
    return render_template("console/event.html", **_detail(event_id))


@bp.get("/events/<int:event_id>/spaces")
def event_spaces(event_id: int) -> str:
    """The live part of an event's page: its status and each space's outcome."""
    return render_template("console/_event_spaces.html", **_detail(event_id))


@bp.post("/events/<int:event_id>/retry")
def retry(event_id: int) -> Response:
    """Retry the failed spaces of an event (one, when the form names it), after the page asked to confirm."""
    event = owned(SourceEvent, event_id, org(), "event")
    raw = request.form.get("spaceId", "").strip()
    if raw and not raw.isdigit():
        raise InvalidInput("spaceId must be a space id")
    try:
        result = retry_event(event, [int(raw)] if raw else None)
        message, ok = _queued(result), True
    except InvalidInput as exc:
        message, ok = exc.message, False
    if not is_live():
        return redirect(url_for("console.event", event_id=event_id), 303)
    return make_response(render_template("console/_event_spaces.html", message=message, ok=ok,
                                         **_detail(event_id)), 200 if ok else 409)


def _queued(result: dict[str, Any]) -> str:
    spaces = result.get("spaceIds") or []
    what = f"space{'s' if len(spaces) != 1 else ''} {', '.join(map(str, spaces))}" if spaces else "the event"
    return f"Retry queued for {what}."
