"""GitHub (github.com and Enterprise Server) push webhooks: signature check and payload parsing.

- Signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``; the legacy SHA-1
  ``X-Hub-Signature`` is not accepted.
- Events (``X-GitHub-Event``): ``push`` is parsed; ``ping`` and every other event are ignored.
- Bodies: ``application/json``, or ``application/x-www-form-urlencoded`` with the JSON in ``payload=``.
- ``installation.id`` (a GitHub App's delivery) is kept, to route the delivery to its installation.
- Coordinate: host of ``repository.html_url`` (``X-GitHub-Enterprise-Host``, then ``github.com``, when the
  body has none) + ``repository.full_name``, owner and name as GitHub reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from jolli.provider import ZERO_SHA, CanonicalPush, WebhookIgnored

from . import _payload as p
from ._signatures import get_header, verify_prefixed

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """Whether ``X-Hub-Signature-256`` is the HMAC-SHA256 of ``body`` under ``secret``."""
    return verify_prefixed(headers, body, secret, SIGNATURE_HEADER)


def _decode(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    content_type = (get_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded" or (
        not content_type and bytes(body).startswith(b"payload=")
    ):
        try:
            form = parse_qs(bytes(body).decode("utf-8"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError) as exc:
            raise p.invalid("form-encoded webhook body could not be decoded") from exc
        values = form.get("payload")
        if not values:
            raise p.invalid("form-encoded webhook body has no 'payload' field", "payload")
        return p.load_json(values[0].encode("utf-8"))
    return p.load_json(body)


def repo_coordinate(headers: Mapping[str, str], data: Mapping[str, Any]) -> str:
    """``host/owner/repo`` of the repository a GitHub delivery is about."""
    repository = p.obj(data, "repository")
    host = p.host_of(repository.get("html_url"))
    if host is None:
        host = p.host_of(f"https://{get_header(headers, 'X-GitHub-Enterprise-Host') or 'github.com'}/")
    owner, name = p.owner_and_name(repository, ("login", "name"))
    return p.coordinate(host, owner, name)


def parse(headers: Mapping[str, str], body: bytes) -> list[CanonicalPush]:
    """Turn a ``push`` delivery into its one ref update; ignore other events."""
    event = (get_header(headers, EVENT_HEADER) or "").strip().lower()
    if not event:
        raise p.invalid(f"missing {EVENT_HEADER} header", EVENT_HEADER)
    if event != "push":
        raise WebhookIgnored("ping" if event == "ping" else f"GitHub event '{event}' is not a push")
    data = _decode(headers, body)
    before = p.sha(data.get("before"), "before")
    after = p.sha(data.get("after"), "after")
    created = data.get("created")
    deleted = data.get("deleted")
    return [
        CanonicalPush(
            repo=repo_coordinate(headers, data),
            ref=p.full_ref(p.text(data, "ref")),
            before=before,
            after=after,
            forced=bool(data.get("forced", False)),
            created=bool(created) if isinstance(created, bool) else before == ZERO_SHA,
            deleted=bool(deleted) if isinstance(deleted, bool) else after == ZERO_SHA,
            delivery_id=get_header(headers, DELIVERY_HEADER),
            received_at=p.now(),
            commits=p.commit_ids(data),
            installation_id=installation_of(data),
        )
    ]


def installation_of(data: Mapping[str, Any]) -> str | None:
    """``installation.id`` of a GitHub App's delivery, as text; ``None`` for a repository or org webhook."""
    installation = data.get("installation")
    found = installation.get("id") if isinstance(installation, dict) else None
    return str(found) if isinstance(found, int) and not isinstance(found, bool) else None
