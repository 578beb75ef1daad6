"""``POST /api/webhooks/<integrationId>``: provider push webhooks in; source events and jobs stored.

Authenticated only by the provider's own scheme, checked against that integration's secret before
anything is stored. Answers: 202 ``{"status": "accepted", "eventIds": [...]}`` (or ``"duplicate"`` with
the existing ids), 200 ``{"status": "ignored", "reason": ...}`` for tags, pings, other event types,
branch deletions and pushes no source tracks; 401 bad or missing signature; 404 unknown integration;
400 unparseable body; 413 body over ``WEBHOOK_MAX_CONTENT_LENGTH``. No per-space work happens here.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from jolli.api.spec import doc
from jolli.events.intake import load_integration, receive

bp = Blueprint("webhooks", __name__)


@bp.post("/api/webhooks/<int:integration_id>")
@doc(summary="Receive a provider push webhook", tag="webhooks", responses={200: None, 202: None},
     errors=(400, 401, 413))
def receive_webhook(integration_id: int) -> tuple[Response, int]:
    """Verify the delivery with the integration's secret, then store one source event per matching source."""
    integration = load_integration(integration_id)
    body = request.get_data(cache=False)  # 413 past the webhook body limit
    result = receive(integration, dict(request.headers.items()), body)  # one pass over the environ
    answer = json.dumps(result.to_dict(), separators=(",", ":")) + "\n"  # as jsonify writes it, minus its overhead
    return Response(answer, mimetype="application/json"), result.http_status
