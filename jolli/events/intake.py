"""Webhook intake: verify a delivery, parse it into observed changes, hand them to the one store path.

Order of checks: the integration must exist (404), the body must fit (413, checked by the caller while
reading it), the signature must verify against that integration's secret (401), the body must parse (400).
Only then is anything written, by :func:`jolli.events.store.store_changes`, which applies the
integration's scope: a delivery creates events only for sources the integration covers. Headers reach the
provider as a case-insensitive mapping (``headers.get("x-github-delivery")`` works).
A refusal of a delivery to an integration that exists (401, 400, 413, 422) is logged and counted by
:func:`refused`, which the one caller answering deliveries (:func:`jolli.api.webhooks.answer`) calls.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from requests.structures import CaseInsensitiveDict

from jolli.errors import InvalidInput, JolliError
from jolli.events import refusals
from jolli.events.errors import BadSignature, IntegrationNotFound, NoWebhooks
from jolli.events.status import DeliveryOutcome, Origin, RefusalReason
from jolli.events.store import ObservedChange, Producer, StoreResult, insert_delivery, store_changes
from jolli.log_limit import RateLimitedLog
from jolli.matching import IntegrationScope
from jolli.provider import CanonicalPush, WebhookIgnored
from jolli.registry import get_plugins
from jolli.secrets import decrypt
from jolli.store import sql as raw
from jolli.store.db import database
from jolli.store.models import Integration, utcnow
from jolli.store.sql import write_tx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntegrationInfo:
    """What the receiver needs of an integration (``secret`` is never logged or shown)."""

    id: int
    org_id: int
    org_name: str
    provider: str
    secret: str | None = field(repr=False)  # decrypted; never in a log line or a traceback
    scope: IntegrationScope
    #: The secret before the last change, verifying deliveries until ``previous_until`` (UTC) too.
    previous_secret: str | None = field(default=None, repr=False)
    previous_until: datetime | None = None
    #: The App this integration is an installation of: its deliveries are routed by installation.
    app_id: str | None = None

    def producer(self) -> Producer:
        return Producer(self.org_id, self.org_name, self.id, self.provider, self.scope)


#: Integrations read by this process, with when: a burst of deliveries reads each integration once a second.
_integrations: dict[tuple[str, int], tuple[float, IntegrationInfo]] = {}
INTEGRATION_TTL = 1.0


def load_integration(integration_id: int, *, cached: bool = True) -> IntegrationInfo:
    """The integration a webhook URL names, or 404 (from the last second with ``cached``: a changed secret
    or a deleted integration is seen at most :data:`INTEGRATION_TTL` seconds late)."""
    key = (str(getattr(database.obj, "database", "")), integration_id)
    hit = _integrations.get(key) if cached else None
    if hit is not None and time.monotonic() - hit[0] < INTEGRATION_TTL:
        return hit[1]
    rows = raw.rows(
        "SELECT i.id, i.org_id, o.name, i.provider, i.webhook_secret, i.host, i.owner, i.repos, "
        "i.previous_webhook_secret, i.previous_secret_until, i.app_id FROM integration i "
        "JOIN org o ON o.id = i.org_id WHERE i.id = ?",
        (integration_id,),
    )
    if not rows:
        _integrations.pop(key, None)
        raise IntegrationNotFound(f"no integration {integration_id}; check the webhook URL")
    iid, org_id, org_name, provider, secret, host, owner, repos, previous, until, app_id = rows[0]
    scope = IntegrationScope(id=int(iid), provider=str(provider), host=str(host), owner=owner or None,
                             repos=frozenset(json.loads(repos)) if repos else None)
    found = IntegrationInfo(int(iid), int(org_id), str(org_name), str(provider),
                            None if secret is None else decrypt(secret), scope,
                            None if previous is None else decrypt(previous),
                            Integration.previous_secret_until.python_value(until), app_id or None)
    if len(_integrations) > 10_000:
        _integrations.clear()
    _integrations[key] = (time.monotonic(), found)
    return found


def receive(integration: IntegrationInfo, headers: Mapping[str, str], body: bytes) -> StoreResult:
    """Verify, parse and store one delivery for ``integration``."""
    provider = get_plugins().provider(integration.provider)
    headers = CaseInsensitiveDict(headers)
    if not integration.secret:
        raise BadSignature(
            f"integration {integration.id} has no webhook secret; set one with PATCH /api/integrations/"
            f"{integration.id} {{\"webhookSecret\": ...}} and the same secret in the provider's webhook settings",
            check="no webhook secret is set", reason=RefusalReason.NO_SECRET)
    candidates = [integration.secret]
    if integration.previous_secret and integration.previous_until is not None and utcnow() < integration.previous_until:
        candidates.append(integration.previous_secret)  # a secret being rotated out: both verify until then
    failure: str | None = None
    for secret in candidates:
        failure = _failed_check(provider, integration, headers, body, secret)
        if failure is None:
            break
    if failure is not None:
        raise BadSignature("the webhook signature is missing or does not match this integration's secret",
                           check=failure)
    producer = integration.producer()
    try:
        pushes = provider.parse_webhook(headers, body)
    except WebhookIgnored as exc:
        with write_tx():
            insert_delivery(producer, None, DeliveryOutcome.IGNORED, exc.reason)
        log.info("webhook integrationId=%s status=ignored reason=%s", integration.id, exc.reason)
        return StoreResult(str(DeliveryOutcome.IGNORED), reason=exc.reason)
    except InvalidInput:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"the webhook body cannot be parsed as a {provider.name} push: "
                           f"{type(exc).__name__}") from None
    if integration.app_id is not None:
        return _accept_for_installation(integration, pushes)
    return accept(integration, pushes)


def _accept_for_installation(integration: IntegrationInfo, pushes: list[CanonicalPush]) -> StoreResult:
    """An App's delivery, stored for the integration of the installation it names (:mod:`app_routing`)."""
    from jolli.events import app_routing

    assert integration.app_id is not None
    target = app_routing.route(integration.org_id, integration.provider, integration.scope.host,
                               integration.app_id, pushes)
    if isinstance(target, StoreResult):
        return target
    routed = integration if target == integration.id else load_integration(target)
    return app_routing.outside_scope(pushes, routed.id, routed.scope.covers) or accept(routed, pushes)


def _failed_check(provider: Any, integration: IntegrationInfo, headers: Mapping[str, str], body: bytes,
                  secret: str) -> str | None:
    """Which check of the delivery failed against ``secret`` (never the secret or the signature), or ``None``."""
    try:
        return None if provider.verify_webhook(headers, body, secret) else "signature missing or not matching"
    except JolliError:
        return "signature malformed"
    except NotImplementedError:
        raise NoWebhooks(f"provider {provider.name!r} of integration {integration.id} does not receive webhooks; "
                         "remove the webhook from the provider, or use a provider plugin that verifies them") from None


#: Refusals logged per (integration, check) at most once per this many seconds, with a count of the rest.
REFUSAL_LOG_INTERVAL = 60.0
_refusals = RateLimitedLog(log, REFUSAL_LOG_INTERVAL)


def refused(integration: IntegrationInfo, exc: BaseException) -> None:
    """Log and count a delivery to ``integration`` that ``exc`` refuses (per reason and hour, see
    :mod:`jolli.events.refusals`); an error that is not the sender's (a lost database) is neither."""
    reason = refusal_reason(exc)
    if reason is None:
        return
    check = exc.check if isinstance(exc, BadSignature) else str(reason)
    _refusals.warning((integration.id, check), "webhook refused: integrationId=%s provider=%s check=%s",
                      integration.id, integration.provider, check)
    refusals.count(integration.id, reason)


def refusal_reason(exc: BaseException) -> RefusalReason | None:
    """Why ``exc`` refuses a delivery, or ``None`` when it is not a refusal (a server error)."""
    if isinstance(exc, BadSignature):
        return exc.reason
    if isinstance(exc, NoWebhooks):
        return RefusalReason.NO_WEBHOOKS
    # JolliError's status, or an HTTP error's code (werkzeug's 413 and 400 from reading the body)
    code = getattr(exc, "status", None) if isinstance(exc, JolliError) else getattr(exc, "code", None)
    if code == 413:
        return RefusalReason.TOO_LARGE
    if isinstance(exc, InvalidInput) or code in (400, 408):
        return RefusalReason.BAD_BODY
    return None


#: The longest ref, coordinate and commit id a delivery may name (the same rule on SQLite and PostgreSQL).
MAX_REF, MAX_REPO, MAX_SHA = 255 + len("refs/heads/"), 512, 64


def accept(integration: IntegrationInfo, pushes: list[CanonicalPush]) -> StoreResult:
    """Store the pushes of a verified delivery to ``integration``, within its scope; 400 for a push whose
    ref, repo or commit ids are longer than any store keeps."""
    for push in pushes:
        for name, value, limit in (("ref", push.ref, MAX_REF), ("repository", push.repo, MAX_REPO),
                                   ("before", push.before, MAX_SHA), ("after", push.after, MAX_SHA)):
            if len(value or "") > limit:
                raise InvalidInput(f"the delivery's {name} is {len(value)} characters long; at most {limit} are "
                                   "accepted", fields={name: [f"at most {limit} characters"]})
    return store_changes(integration.producer(), [ObservedChange.from_push(p, Origin.WEBHOOK) for p in pushes],
                         record_delivery=True)

