"""``POST /api/webhooks/<integrationId>``: provider push webhooks in; source events and jobs stored.

Authenticated only by the provider's own scheme, checked against that integration's secret before
anything is stored. Answers: 202 ``{"status": "accepted", "eventIds": [...]}`` (or ``"duplicate"`` with
the existing ids), 200 ``{"status": "ignored", "reason": ...}`` for tags, pings, other event types,
branch deletions and pushes no source tracks; 401 bad or missing signature; 404 unknown integration;
400 unparseable body; 413 body over ``WEBHOOK_MAX_CONTENT_LENGTH``. No per-space work happens here.

The route is served twice over, by one function (:func:`answer`): as a Flask view (documented in the
OpenAPI description, and what an app without the middleware serves), and by :class:`WebhookIntake`, plain
WSGI in front of Flask that ``create_app`` installs. Every provider's pushes come through here, so the
hottest path of the system skips Flask's per-request machinery (request and response objects, URL
matching, the bearer-token and connection hooks). Errors are still rendered by the app's own error
handlers, so both give the same answers. Both read the body with :func:`jolli.api.request.read_body`
(413 past the webhook limit, chunked bodies included).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.datastructures import EnvironHeaders

from jolli.api.request import limit_reads, read_body
from jolli.api.rest import Blueprint
from jolli.api.schemas import MAX_ID, WebhookAnswerSchema
from jolli.errors import InvalidInput
from jolli.events.intake import load_integration, receive, refused
from jolli.json_input import MAX_DEPTH, parse, unstorable_text
from jolli.store.db import database

bp = Blueprint("webhooks", __name__)

#: The route, as :class:`WebhookIntake` matches it (Flask's ``<int:...>`` takes ASCII digits only).
ROUTE = re.compile(r"/api/webhooks/([0-9]+)\Z")
_STATUS_LINES = {200: "200 OK", 202: "202 Accepted"}
#: Compact JSON, as ``jsonify`` writes it; one encoder (``json.dumps`` with options builds one per call).
_encode = json.JSONEncoder(separators=(",", ":")).encode


def answer(integration_id: int, headers: Mapping[str, str], body_of: Callable[[], bytes]) -> tuple[int, bytes]:
    """The HTTP status and JSON body for a delivery; raises the errors the app renders as problems.

    ``body_of`` is called only once the integration exists, so an unknown one is a 404 whatever its body.
    """
    integration = load_integration(integration_id)
    if not database.is_closed():  # a slow sender holds a thread while its body arrives, never a connection
        database.close()
    try:
        body = body_of()
        if b"\\ud" in body or b"\\uD" in body:  # a surrogate escape: rare, so the check costs nothing otherwise
            _refuse_unstorable(body)
        try:
            result = receive(integration, headers, body)
        except RecursionError:  # a provider's json.loads on a body nested ~1,000 deep
            raise InvalidInput(f"the webhook body is nested deeper than {MAX_DEPTH} levels",
                               fields={"_body": ["nested too deep"]}) from None
    except Exception as exc:
        refused(integration, exc)  # every refusal of a known integration passes here, and only here
        raise
    return result.http_status, (_encode(result.to_dict()) + "\n").encode()


def _refuse_unstorable(body: bytes) -> None:
    """400 for a body holding a lone surrogate (``"\\ud800"``): valid JSON, but no text a database can store."""
    try:
        value = parse(body)
    except ValueError:
        return  # not JSON: the provider's parser answers that
    if unstorable_text(value) is not None:
        raise InvalidInput("the webhook body holds text that is not valid Unicode (a lone surrogate escape)",
                           fields={"_body": ["must be valid Unicode text"]})


@bp.post("/api/webhooks/<int:integration_id>")
@bp.response(202, WebhookAnswerSchema, description="Accepted: the events stored (or already stored: duplicate)")
@bp.alt_response(200, schema=WebhookAnswerSchema, description="Ignored, with the reason", success=True)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
def receive_webhook(integration_id: int) -> tuple[Response, int]:
    """Receive a provider push webhook

    Verify the delivery with the integration's secret, then store one source event per matching source.
    """
    limit = current_app.config["WEBHOOK_MAX_CONTENT_LENGTH"]
    status, body = answer(integration_id, dict(request.headers.items()), lambda: read_body(request.environ, limit))
    return Response(body, mimetype="application/json"), status


class WebhookIntake:
    """WSGI middleware answering ``POST /api/webhooks/<id>`` itself and passing every other request on.

    The connection is taken from the pool and handed back as the Flask hooks do; the body is read with
    the webhook limit (413 past it, chunked bodies included); an error of any kind is turned into the
    same problem details as from the Flask view, by the app's registered error handlers.
    """

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        found = ROUTE.match(environ.get("PATH_INFO") or "") if environ.get("REQUEST_METHOD") == "POST" else None
        if found is None:
            return self.wsgi_app(environ, start_response)
        number = int(found.group(1))
        limit = self.app.config["WEBHOOK_MAX_CONTENT_LENGTH"]
        limit_reads(environ, self.app.config["BODY_TIMEOUT"])
        try:  # the database connects on first use (peewee's autoconnect) and is handed back below
            status, body = answer(number if number <= MAX_ID else 0, dict(EnvironHeaders(environ).items()),
                                  lambda: read_body(environ, limit))
        except Exception as exc:  # noqa: BLE001 - every error becomes the app's problem+json answer
            return self._problem(environ, start_response, exc)
        finally:
            if not database.is_closed():
                database.close()
        start_response(_STATUS_LINES[status], [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(body)))])
        return [body]

    def _problem(self, environ: dict[str, Any], start_response: Callable[..., Any],
                 exc: Exception) -> Iterable[bytes]:
        with self.app.request_context(environ):
            try:
                response = self.app.make_response(self.app.handle_user_exception(exc))
            except Exception as unhandled:  # noqa: BLE001 - no handler matched: Flask's own 500
                response = self.app.handle_exception(unhandled)
        return response(environ, start_response)
