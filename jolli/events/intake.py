"""Webhook intake: verify a delivery, turn it into source events and jobs, store them. No per-space work.

Order of checks: the integration must exist (404), the body must fit (413), the signature must verify
against that integration's secret (401), the body must parse (400). Only then is anything written, in
one transaction: a :class:`WebhookDelivery` row and, per matching source, a source event and its job.
Tag pushes and non-push deliveries are recorded and ignored; a branch deletion is recorded as a
``delete`` event per matching source, advances no cursor and creates no job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jolli.errors import InvalidInput, JolliError
from jolli.events.create import NewEvent, store_event
from jolli.events.errors import BadSignature, IntegrationNotFound
from jolli.events.fanout import affected_space_ids, event_jrn_for, matching_sources
from jolli.events.models import WebhookDelivery
from jolli.events.tx import write_tx
from jolli.provider import ZERO_SHA, CanonicalPush, WebhookIgnored
from jolli.registry import get_plugins
from jolli.store.models import Integration, Org, utcnow

log = logging.getLogger("jolli.events.intake")


@dataclass
class IntakeResult:
    """The answer to a delivery: ``accepted`` (202), ``duplicate`` (202) or ``ignored`` (200)."""

    status: str
    event_ids: list[int] = field(default_factory=list)
    duplicate_event_ids: list[int] = field(default_factory=list)
    recorded_event_ids: list[int] = field(default_factory=list)
    reason: str | None = None
    delivery_id: str | None = None

    @property
    def http_status(self) -> int:
        return 200 if self.status == "ignored" else 202

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "eventIds": self.event_ids}
        if self.duplicate_event_ids:
            body["duplicateEventIds"] = self.duplicate_event_ids
        if self.recorded_event_ids:
            body["recordedEventIds"] = self.recorded_event_ids
        if self.reason:
            body["reason"] = self.reason
        if self.delivery_id:
            body["deliveryId"] = self.delivery_id
        return body


def load_integration(integration_id: int) -> Integration:
    """The integration a webhook URL names, or 404."""
    integration = Integration.get_or_none(Integration.id == integration_id)
    if integration is None:
        raise IntegrationNotFound(f"no integration {integration_id}; check the webhook URL")
    return integration


def receive(integration: Integration, headers: Mapping[str, str], body: bytes) -> IntakeResult:
    """Verify, parse and store one delivery for ``integration``."""
    provider = get_plugins().provider(integration.provider)
    secret = integration.webhook_secret
    if not secret:
        raise BadSignature(
            f"integration {integration.id} has no webhook secret; set one with "
            "`jolli integration update --webhook-secret` and in the provider's webhook settings"
        )
    try:
        verified = provider.verify_webhook(headers, body, secret)
    except JolliError:
        verified = False
    if not verified:
        raise BadSignature("the webhook signature is missing or does not match this integration's secret")
    try:
        pushes = provider.parse_webhook(headers, body)
    except WebhookIgnored as exc:
        _record(integration, None, "ignored", exc.reason, [], [])
        return IntakeResult("ignored", reason=exc.reason)
    except InvalidInput:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"the webhook body cannot be parsed as a {provider.name} push: "
                           f"{type(exc).__name__}") from None
    return store_pushes(integration, pushes)


def store_pushes(integration: Integration, pushes: list[CanonicalPush]) -> IntakeResult:
    """Store the source events of already verified pushes (one transaction)."""
    org_name = Org.select(Org.name).where(Org.id == integration.org_id).scalar()
    delivery_id = next((p.delivery_id for p in pushes if p.delivery_id), None)
    created: list[int] = []
    duplicates: list[int] = []
    recorded: list[int] = []
    reasons: list[str] = []
    with write_tx():
        for push in pushes:
            branch = push.branch
            if branch is None:
                reasons.append(f"{push.ref} is not a branch" + (" (tag push)" if push.tag else ""))
                continue
            sources = matching_sources(integration.org_id, push.repo, branch)
            if not sources:
                reasons.append(f"no enabled source tracks {push.repo} branch {branch}")
                continue
            jrn = event_jrn_for(org_name, push.repo, branch)
            deleted = push.deleted or push.after == ZERO_SHA
            for source in sources:
                new = NewEvent(
                    org_id=integration.org_id,
                    source_id=source.id,
                    event_jrn=jrn,
                    head_sha=ZERO_SHA if deleted else push.after,
                    before_sha=push.before if push.before and push.before != ZERO_SHA else None,
                    branch=branch,
                    repo=source.repo,
                    affected_space_ids=[] if deleted else affected_space_ids(source.id, jrn),
                    integration_id=integration.id,
                    delivery_id=push.delivery_id,
                    forced=push.forced,
                    kind="delete" if deleted else "push",
                    received_at=push.received_at,
                )
                stored = store_event(new)
                if deleted:
                    recorded.append(stored.event.id)
                    reasons.append(f"branch {branch} of {push.repo} was deleted")
                elif stored.created or stored.merged:
                    created.append(stored.event.id)
                else:
                    duplicates.append(stored.event.id)
        if created:
            status = "accepted"
        elif duplicates:
            status = "duplicate"
        else:
            status = "ignored"
        reason = "; ".join(dict.fromkeys(reasons)) or None
        _record(integration, delivery_id, status, reason if status == "ignored" else None,
                [f"{p.repo} {p.ref}" for p in pushes], created + duplicates + recorded)
    log.info(
        "webhook integrationId=%s deliveryId=%s status=%s eventIds=%s duplicateEventIds=%s",
        integration.id, delivery_id, status, created, duplicates,
    )
    return IntakeResult(status, created, duplicates, recorded, reason if status == "ignored" else None,
                        delivery_id)


def _record(integration: Integration, delivery_id: str | None, outcome: str, reason: str | None,
            refs: list[str], event_ids: list[int]) -> None:
    WebhookDelivery.create(
        org=integration.org_id,
        integration=integration.id,
        provider=integration.provider,
        delivery_id=delivery_id,
        outcome=outcome,
        reason=reason,
        refs=refs,
        event_ids=event_ids,
        received_at=utcnow(),
    )
