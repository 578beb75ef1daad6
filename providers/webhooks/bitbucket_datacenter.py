"""Bitbucket Data Center / Server push webhooks: signature check, payload parsing, owner mapping.

Canonical coordinate decision (shared with ``providers/bitbucket_datacenter.py`` and the API client)::

    host/<owner>/<repo slug>
    owner = project key, upper-cased                 PROJ  (/projects/PROJ/repos/x, /scm/proj/x.git)
          = "_" + user slug, lower-cased, for a      _gopher (/users/gopher/repos/x, /scm/~gopher/x.git,
            personal project ("~gopher")                     REST /projects/~gopher/repos/x)

Why: the seed's coordinate regex does not allow ``~``. A project key must start with a letter
(``[a-zA-Z][a-zA-Z0-9_-]*``), so an owner starting with ``_`` can only be a personal project and the
mapping round-trips (:func:`owner_for_project_key` / :func:`project_key_for_owner`). Project keys are
case-insensitive in Bitbucket and shown upper-case, but clone URLs show them lower-case, hence the
upper-casing; user slugs are lower-case. The repo slug is kept as reported. The host is that of the
repository's links (``links.self``, else the clone links), without port.

- Signature: ``X-Hub-Signature: sha256=<hex>`` (sent when the webhook has a secret).
- Events (``X-Event-Key``, else the body's ``eventKey``): ``repo:refs_changed`` is parsed; ``diagnostics:ping``
  and every other event are ignored. Each of ``changes`` becomes one :class:`CanonicalPush`
  (``ADD``: created, ``DELETE``: deleted). Bitbucket does not say whether an update was forced: ``forced``
  is always ``False``.
- Delivery id: ``X-Request-Id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jolli.provider import ZERO_SHA, CanonicalPush, WebhookIgnored

from . import _payload as p
from ._signatures import get_header, verify_prefixed

SIGNATURE_HEADER = "X-Hub-Signature"
EVENT_HEADER = "X-Event-Key"
PERSONAL_PREFIX = "_"


def owner_for_project_key(key: str) -> str:
    """Canonical owner for a project key: ``PROJ`` for ``proj``, ``_gopher`` for ``~gopher``."""
    if key.startswith("~"):
        return PERSONAL_PREFIX + key[1:].lower()
    return key.upper()


def project_key_for_owner(owner: str) -> str:
    """The project key for a canonical owner (``_gopher`` -> ``~gopher``), as used in REST and clone URLs."""
    if owner.startswith(PERSONAL_PREFIX):
        return "~" + owner[len(PERSONAL_PREFIX) :]
    return owner


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """Whether ``X-Hub-Signature`` is ``sha256=`` + the HMAC-SHA256 of ``body`` under ``secret``."""
    return verify_prefixed(headers, body, secret, SIGNATURE_HEADER)


def _links(links: Any, name: str) -> list[str]:
    items = links.get(name) if isinstance(links, dict) else None
    return [item["href"] for item in items or [] if isinstance(item, dict) and isinstance(item.get("href"), str)]


def repo_coordinate(data: Mapping[str, Any]) -> str:
    """``host/OWNER/slug`` of the repository a delivery is about (see the module docstring)."""
    repository = p.obj(data, "repository")
    project = p.obj(repository, "project")
    links = repository.get("links")
    urls = _links(links, "self") + _links(links, "clone") + _links(project.get("links"), "self")
    host = next((h for h in map(p.host_of, urls) if h), None)
    owner = owner_for_project_key(p.text(project, "key", "repository.project"))
    return p.coordinate(host, owner, p.text(repository, "slug", "repository"))


def parse(headers: Mapping[str, str], body: bytes) -> list[CanonicalPush]:
    """Turn a ``repo:refs_changed`` delivery into one update per changed ref; ignore other events."""
    event = (get_header(headers, EVENT_HEADER) or "").strip()
    data = p.load_json(body) if event in ("", "repo:refs_changed") else {}
    event = event or str(data.get("eventKey") or "").strip()
    if not event:
        raise p.invalid(f"missing {EVENT_HEADER} header", EVENT_HEADER)
    if event != "repo:refs_changed":
        raise WebhookIgnored("ping" if event == "diagnostics:ping" else f"Bitbucket event '{event}' is not a push")
    repo = repo_coordinate(data)
    changes = data.get("changes")
    if not isinstance(changes, list):
        raise p.invalid("webhook body has no 'changes' list", "changes")
    delivery, received = get_header(headers, "X-Request-Id"), p.now()
    pushes = []
    for index, change in enumerate(changes):
        where = f"changes[{index}]"
        if not isinstance(change, dict):
            raise p.invalid(f"'{where}' is not an object", "changes")
        ref_obj = p.maybe_obj(change, "ref")
        ref = change.get("refId") or ref_obj.get("id")
        if not isinstance(ref, str) or not ref:
            raise p.invalid(f"'{where}' has no refId", "changes")
        before = p.sha(change.get("fromHash"), f"{where}.fromHash")
        after = p.sha(change.get("toHash"), f"{where}.toHash")
        kind = str(change.get("type", "")).upper()
        pushes.append(
            CanonicalPush(
                repo=repo,
                ref=p.full_ref(ref, "tag" if ref_obj.get("type") == "TAG" else "branch"),
                before=before,
                after=after,
                forced=False,
                created=kind == "ADD" or before == ZERO_SHA,
                deleted=kind == "DELETE" or after == ZERO_SHA,
                delivery_id=delivery,
                received_at=received,
            )
        )
    if not pushes:
        raise WebhookIgnored("Bitbucket refs_changed without changes")
    return pushes
