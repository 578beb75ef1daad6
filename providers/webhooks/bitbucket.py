"""Bitbucket Cloud (bitbucket.org) push webhooks: signature check and payload parsing.

- Signature: ``X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` (sent when the webhook has a
  secret; a webhook without one is never accepted).
- Events (``X-Event-Key``): ``repo:push`` is parsed; everything else is ignored.
- One push carries several ``push.changes``: each branch or tag change becomes one
  :class:`CanonicalPush` (``old`` null: created; ``new`` null: deleted; ``forced`` as reported).
- Coordinate: ``bitbucket.org/`` + ``repository.full_name`` (workspace/slug as reported). The payload's
  ``links`` point at api.bitbucket.org, so the host is not taken from them.
- Delivery id: ``X-Request-UUID``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jolli.provider import ZERO_SHA, CanonicalPush, WebhookIgnored

from . import _payload as p
from ._signatures import get_header, verify_prefixed

HOST = "bitbucket.org"
SIGNATURE_HEADER = "X-Hub-Signature"
EVENT_HEADER = "X-Event-Key"
_REF_KINDS = {"branch": "branch", "named_branch": "branch", "tag": "tag", "annotated_tag": "tag"}


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """Whether ``X-Hub-Signature`` is ``sha256=`` + the HMAC-SHA256 of ``body`` under ``secret``."""
    return verify_prefixed(headers, body, secret, SIGNATURE_HEADER)


def repo_coordinate(data: Mapping[str, Any]) -> str:
    """``bitbucket.org/workspace/slug`` of the repository a delivery is about."""
    repository = p.obj(data, "repository")
    owner, name = p.split_path(p.text(repository, "full_name", "repository"))
    return p.coordinate(HOST, owner, name)


def _side(change: Mapping[str, Any], key: str, index: int) -> tuple[str, str, str] | None:
    """``(kind, name, hash)`` of a change's ``old`` or ``new`` side; ``None`` when that side is null."""
    side = change.get(key)
    if side is None:
        return None
    where = f"push.changes[{index}].{key}"
    if not isinstance(side, dict):
        raise p.invalid(f"'{where}' is not an object", where)
    kind = _REF_KINDS.get(str(side.get("type")), "")
    name = p.text(side, "name", where)
    target = p.maybe_obj(side, "target")
    return kind, name, p.sha(target.get("hash"), f"{where}.target.hash")


def parse(headers: Mapping[str, str], body: bytes) -> list[CanonicalPush]:
    """Turn a ``repo:push`` delivery into one update per branch or tag change; ignore other events."""
    event = (get_header(headers, EVENT_HEADER) or "").strip()
    if not event:
        raise p.invalid(f"missing {EVENT_HEADER} header", EVENT_HEADER)
    if event != "repo:push":
        raise WebhookIgnored(f"Bitbucket event '{event}' is not a push")
    data = p.load_json(body)
    repo = repo_coordinate(data)
    changes = p.obj(data, "push").get("changes")
    if not isinstance(changes, list):
        raise p.invalid("webhook body has no 'push.changes' list", "push.changes")
    delivery, received = get_header(headers, "X-Request-UUID"), p.now()
    pushes = []
    for index, change in enumerate(changes):
        if not isinstance(change, dict):
            raise p.invalid(f"'push.changes[{index}]' is not an object", "push.changes")
        old, new = _side(change, "old", index), _side(change, "new", index)
        side = new or old
        if side is None or not side[0]:
            continue  # neither side, or a ref kind that is neither a branch nor a tag
        pushes.append(
            CanonicalPush(
                repo=repo,
                ref=p.full_ref(side[1], side[0]),
                before=old[2] if old else ZERO_SHA,
                after=new[2] if new else ZERO_SHA,
                forced=bool(change.get("forced", False)),
                created=old is None,
                deleted=new is None,
                delivery_id=delivery,
                received_at=received,
            )
        )
    if not pushes:
        raise WebhookIgnored("Bitbucket push without branch or tag changes")
    return pushes
