"""Gitea, Forgejo and Gogs push webhooks: signature check and payload parsing.

- Signature: bare hex HMAC-SHA256 of the raw body in ``X-Gitea-Signature``, ``X-Forgejo-Signature`` or
  ``X-Gogs-Signature``, or ``sha256=<hex>`` in ``X-Hub-Signature-256`` (Gitea's GitHub-compatible
  header). At least one must be present and every one present must match.
- Events (``X-Gitea-Event``, ``X-Forgejo-Event``, ``X-Gogs-Event``): ``push`` is parsed. Gitea and Forgejo
  announce a branch deletion only as a ``delete`` event (no push, no SHA): it becomes a deleted push with
  ``before`` and ``after`` both the zero SHA. Tag deletions do come as pushes, so ``delete`` of a tag is
  ignored, as are ``create`` (the push that follows carries it) and every other event.
- The bodies do not say whether a push was forced: ``forced`` is always ``False``.
- Coordinate: host of ``repository.html_url`` (port dropped) + ``repository.full_name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jolli.provider import ZERO_SHA, CanonicalPush, WebhookIgnored

from . import _payload as p
from ._signatures import get_header, hex_signature_matches

BARE_SIGNATURE_HEADERS = ("X-Gitea-Signature", "X-Forgejo-Signature", "X-Gogs-Signature")
PREFIXED_SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADERS = ("X-Gitea-Event", "X-Forgejo-Event", "X-Gogs-Event")
DELIVERY_HEADERS = ("X-Gitea-Delivery", "X-Forgejo-Delivery", "X-Gogs-Delivery")


def _first(headers: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((v for v in (get_header(headers, n) for n in names) if v), None)


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """Whether the delivery's signature header(s) match the HMAC-SHA256 of ``body`` under ``secret``."""
    if not secret:
        return False
    checks = [
        hex_signature_matches(secret, body, value)
        for value in (get_header(headers, name) for name in BARE_SIGNATURE_HEADERS)
        if value is not None
    ]
    prefixed = get_header(headers, PREFIXED_SIGNATURE_HEADER)
    if prefixed is not None:
        checks.append(hex_signature_matches(secret, body, prefixed, "sha256="))
    return bool(checks) and all(checks)


def repo_coordinate(data: Mapping[str, Any]) -> str:
    """``host/owner/repo`` of the repository a delivery is about."""
    repository = p.obj(data, "repository")
    host = p.host_of(repository.get("html_url")) or p.host_of(repository.get("clone_url"))
    owner, name = p.owner_and_name(repository, ("username", "login"))
    return p.coordinate(host, owner, name)


def parse(headers: Mapping[str, str], body: bytes) -> list[CanonicalPush]:
    """Turn a ``push`` (or branch ``delete``) delivery into its one ref update; ignore other events."""
    event = (_first(headers, EVENT_HEADERS) or "").strip().lower()
    if not event:
        raise p.invalid("missing X-Gitea-Event (or X-Forgejo-Event, X-Gogs-Event) header", "X-Gitea-Event")
    if event not in ("push", "delete"):
        raise WebhookIgnored(f"event '{event}' is not a push")
    data = p.load_json(body)
    delivery = _first(headers, DELIVERY_HEADERS)
    if event == "delete":
        if data.get("ref_type") != "branch":
            raise WebhookIgnored("tag deletions arrive as push events")
        return [
            CanonicalPush(
                repo=repo_coordinate(data),
                ref=p.full_ref(p.text(data, "ref")),
                before=ZERO_SHA,
                after=ZERO_SHA,
                deleted=True,
                delivery_id=delivery,
                received_at=p.now(),
            )
        ]
    before = p.sha(data.get("before"), "before")
    after = p.sha(data.get("after"), "after")
    return [p.push(repo_coordinate(data), p.full_ref(p.text(data, "ref")), before, after, delivery,
                   commits=p.commit_ids(data))]
