"""Webhook intake: verify a delivery, turn it into source events and jobs, store them. No per-space work.

Order of checks: the integration must exist (404), the body must fit (413), the signature must verify
against that integration's secret (401), the body must parse (400). Only then is anything written, in
one transaction: per matching source, a source event and its job; a delivery that creates no event
(ignored or duplicate) is recorded as a :class:`WebhookDelivery` row instead.
Tag pushes and non-push deliveries are recorded and ignored; a branch deletion is recorded as a
``delete`` event per matching source, advances no cursor and creates no job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jolli.errors import InvalidInput, JolliError
from jolli.events import intake_sql as sql
from jolli.events.create import NewEvent, store_event
from jolli.events.errors import BadSignature, IntegrationNotFound
from jolli.events.fanout import event_jrn_for, pattern_accepts
from jolli.events.intake_sql import IntegrationInfo
from jolli.events.models import FANOUT_VERSION
from jolli.events.tx import write_tx
from jolli.log_limit import RateLimitedLog
from jolli.provider import ZERO_SHA, CanonicalPush, WebhookIgnored
from jolli.registry import get_plugins
from jolli.store.db import is_postgres
from jolli.store.models import utcnow

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


def load_integration(integration_id: int) -> IntegrationInfo:
    """The integration a webhook URL names, or 404."""
    found = sql.integration(integration_id, cached=True)
    if found is None:
        raise IntegrationNotFound(f"no integration {integration_id}; check the webhook URL")
    return found


def _info(integration: Any) -> IntegrationInfo:
    if isinstance(integration, IntegrationInfo):
        return integration
    found = sql.integration(int(integration.id))
    if found is None:
        raise IntegrationNotFound(f"no integration {integration.id}")
    return found


def receive(integration: Any, headers: Mapping[str, str], body: bytes) -> IntakeResult:
    """Verify, parse and store one delivery for ``integration``."""
    info = _info(integration)
    provider = get_plugins().provider(info.provider)
    if not info.secret:
        _refused(info, "no webhook secret is set")
        raise BadSignature(
            f"integration {info.id} has no webhook secret; set one with "
            "`jolli integration update --webhook-secret` and in the provider's webhook settings"
        )
    candidates = [info.secret]
    if info.previous_secret and info.previous_until is not None and utcnow() < info.previous_until:
        candidates.append(info.previous_secret)  # a secret being rotated out: both verify until then
    for secret in candidates:
        failure = _failed_check(provider, headers, body, secret)
        if failure is None:
            break
    if failure is not None:
        _refused(info, failure)
        raise BadSignature("the webhook signature is missing or does not match this integration's secret")
    try:
        pushes = provider.parse_webhook(headers, body)
    except WebhookIgnored as exc:
        with write_tx():
            sql.insert_delivery(info.org_id, info.id, info.provider, None, "ignored", exc.reason, [], [], utcnow())
        return IntakeResult("ignored", reason=exc.reason)
    except InvalidInput:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"the webhook body cannot be parsed as a {provider.name} push: "
                           f"{type(exc).__name__}") from None
    return store_pushes(info, pushes)


def _failed_check(provider: Any, headers: Mapping[str, str], body: bytes, secret: str) -> str | None:
    """Which check of the delivery failed against ``secret`` (never the secret or the signature), or ``None``."""
    try:
        return None if provider.verify_webhook(headers, body, secret) else "signature missing or not matching"
    except JolliError:
        return "signature malformed"


#: Refusals logged per (integration, check) at most once per this many seconds, with a count of the rest.
REFUSAL_LOG_INTERVAL = 60.0
_refusals = RateLimitedLog(log, REFUSAL_LOG_INTERVAL)


def _refused(info: IntegrationInfo, check: str) -> None:
    _refusals.warning((info.id, check), "webhook refused: integrationId=%s provider=%s check=%s",
                      info.id, info.provider, check)


def store_pushes(integration: Any, pushes: list[CanonicalPush]) -> IntakeResult:
    """Store the source events of already verified pushes.

    On PostgreSQL a single new branch push that one source tracks, with no binding pattern to match, is
    stored by one statement (:func:`_insert_push`). Otherwise the matching sources are read first; only
    the inserts run in the write transaction, so it holds the (SQLite) write lock as briefly as possible.
    """
    info = _info(integration)
    delivery_id = next((p.delivery_id for p in pushes if p.delivery_id), None)
    now = utcnow()
    if len(pushes) == 1 and is_postgres():
        event_id = _insert_push(info, pushes[0], now)
        if event_id is not None:
            return _accepted(info, delivery_id, [event_id])
    reasons: list[str] = []
    planned: list[NewEvent] = []
    for push in pushes:
        branch = push.branch
        if branch is None:
            reasons.append(f"{push.ref} is not a branch" + (" (tag push)" if push.tag else ""))
            continue
        sources = sql.matching_sources(info.org_id, push.repo, branch)
        if not sources:
            reasons.append(f"no enabled source tracks {push.repo} branch {branch}")
            continue
        jrn = event_jrn_for(info.org_name, push.repo, branch)
        deleted = push.deleted or push.after == ZERO_SHA
        if deleted:
            reasons.append(f"branch {branch} of {push.repo} was deleted")
        for source in sources:
            planned.append(NewEvent(
                org_id=info.org_id,
                source_id=source.id,
                event_jrn=jrn,
                head_sha=ZERO_SHA if deleted else push.after,
                before_sha=push.before if push.before and push.before != ZERO_SHA else None,
                branch=branch,
                repo=source.repo,
                affected_space_ids=[] if deleted else sorted(
                    {space for space, pattern in source.bindings if pattern_accepts(pattern, jrn)}),
                integration_id=info.id,
                delivery_id=push.delivery_id,
                forced=push.forced,
                kind="delete" if deleted else "push",
                received_at=push.received_at or now,
            ))
    created: list[int] = []
    duplicates: list[int] = []
    recorded: list[int] = []
    if len(planned) == 1 and planned[0].kind == "push" and is_postgres():
        # The common case, one new push for one source: a single atomic statement, no transaction round trips.
        event_id = sql.insert_event(_event_values(planned[0], now), with_job_at=now)
        if event_id is not None:
            return _accepted(info, delivery_id, [event_id])
    with write_tx():
        for new in planned:
            event_id, fresh = _store(new, now)
            if new.kind == "delete":
                recorded.append(event_id)
            elif fresh:
                created.append(event_id)
            else:
                duplicates.append(event_id)
        status = "accepted" if created else "duplicate" if duplicates else "ignored"
        reason = ("; ".join(dict.fromkeys(reasons)) or None) if status == "ignored" else None
        if status != "accepted":  # an accepted delivery is on record as its events
            sql.insert_delivery(info.org_id, info.id, info.provider, delivery_id, status, reason,
                                [f"{p.repo} {p.ref}" for p in pushes], duplicates + recorded, now)
    if status == "accepted":
        return _accepted(info, delivery_id, created, duplicates)
    log.info("webhook integrationId=%s deliveryId=%s status=%s eventIds=%s reason=%s",
             info.id, delivery_id, status, duplicates + recorded, reason)
    return IntakeResult(status, created, duplicates, recorded, reason, delivery_id)


def _accepted(info: IntegrationInfo, delivery_id: str | None, created: list[int],
              duplicates: list[int] | None = None) -> IntakeResult:
    log.debug("webhook integrationId=%s deliveryId=%s status=accepted eventIds=%s", info.id, delivery_id, created)
    return IntakeResult("accepted", created, duplicates or [], [], None, delivery_id)


def _insert_push(info: IntegrationInfo, push: CanonicalPush, now: datetime) -> int | None:
    """The common case on PostgreSQL in one statement: a new push to a branch that one source tracks, all of
    whose bindings are affected (:func:`intake_sql.insert_push`); ``None`` leaves the delivery to the rest."""
    branch = push.branch
    if branch is None or push.deleted or push.after == ZERO_SHA:
        return None
    return sql.insert_push({
        "org_id": info.org_id, "integration_id": info.id, "event_jrn": event_jrn_for(info.org_name, push.repo, branch),
        "head_sha": push.after, "before_sha": push.before if push.before and push.before != ZERO_SHA else None,
        "repo": push.repo, "branch": branch, "version": FANOUT_VERSION, "origin": "webhook", "kind": "push",
        "forced": push.forced, "status": "queued", "delivery_id": push.delivery_id,
        "received_at": push.received_at or now,
    }, now)


def _event_values(new: NewEvent, now: datetime) -> dict[str, Any]:
    return {
        "org_id": new.org_id, "source_id": new.source_id, "integration_id": new.integration_id,
        "event_jrn": new.event_jrn, "head_sha": new.head_sha, "before_sha": new.before_sha, "repo": new.repo,
        "branch": new.branch, "affected_space_ids": new.affected_space_ids, "version": new.version,
        "origin": new.origin, "kind": new.kind, "forced": new.forced,
        "status": "deleted" if new.kind == "delete" else "queued", "delivery_id": new.delivery_id,
        "received_at": new.received_at or now,
    }


def _store(new: NewEvent, now: datetime) -> tuple[int, bool]:
    """Insert one event (and its job) by its idempotency key; ``(id, created or merged)``."""
    event_id = sql.insert_event(_event_values(new, now), with_job_at=now if new.kind == "push" else None)
    if event_id is not None:
        return event_id, True
    existing_id, origin = sql.existing_event(new.source_id, new.event_jrn, new.head_sha)
    if origin == "legacy" and new.kind == "push":  # rare: the fanout push for an event a legacy job made
        stored = store_event(new)
        return stored.event.id, stored.merged
    return existing_id, False
