"""Azure DevOps (Services and Server) service hooks: Basic credentials check and ``git.push`` parsing.

- Authentication: Azure DevOps does not sign deliveries. A *Web Hooks* service hook sends the basic
  authentication user name and password configured on it as ``Authorization: Basic ...``; they are
  compared in constant time with the integration's webhook secret. A secret without ``:`` is the
  password (any user name); a secret ``user:password`` must match both.
- Events (the body's ``eventType``): ``git.push`` is parsed; everything else is ignored.
- One push carries ``resource.refUpdates``: each (``name``, ``oldObjectId``, ``newObjectId``) becomes one
  :class:`CanonicalPush` (all-zero old: created; all-zero new: deleted). Azure DevOps does not say whether
  an update was forced: ``forced`` is always ``False``.
- Coordinate: ``resource.repository.remoteUrl`` read with the provider's own shapes
  (``https://dev.azure.com/org/project/_git/repo`` -> ``dev.azure.com/org/project/repo``; the legacy
  ``org.visualstudio.com`` and ``org/DefaultCollection/_git/repo`` forms too).
- Delivery id: the body's ``id`` (the event's id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from jolli.provider import CanonicalPush, WebhookIgnored

from ..azure_devops import fold_azure_host, split_azure_path
from . import _payload as p
from ._signatures import basic_auth_matches, get_header

PUSH_EVENT = "git.push"


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """Whether ``Authorization: Basic`` carries the integration's secret (see the module docstring)."""
    return basic_auth_matches(secret, get_header(headers, "Authorization"))


def repo_coordinate(resource: Mapping[str, Any]) -> str:
    """``host/org/project/repo`` (or ``host/collection/project/repo``) of the pushed repository."""
    repository = p.obj(resource, "repository")
    remote = p.text(repository, "remoteUrl", "resource.repository")
    host = p.host_of(remote)
    segments: Sequence[str] = [s for s in urlsplit(remote).path.split("/") if s] if "://" in remote else []
    if host is not None:
        host, segments = fold_azure_host(host, segments) or (host, segments)
    try:
        owner, name = split_azure_path(host or "", segments)
    except ValueError as exc:
        raise p.invalid(f"'resource.repository.remoteUrl' is not an Azure DevOps repository URL: {exc}",
                        "resource.repository.remoteUrl") from None
    return p.coordinate(host, owner, name, nested=True)


def parse(headers: Mapping[str, str], body: bytes) -> list[CanonicalPush]:
    """Turn a ``git.push`` delivery into one update per ref; ignore other event types."""
    data = p.load_json(body)
    event = p.text(data, "eventType")
    if event != PUSH_EVENT:
        raise WebhookIgnored(f"Azure DevOps event '{event}' is not a push")
    resource = p.obj(data, "resource")
    repo = repo_coordinate(resource)
    updates = resource.get("refUpdates")
    if not isinstance(updates, list):
        raise p.invalid("webhook body has no 'resource.refUpdates' list", "resource.refUpdates")
    delivery = data.get("id") if isinstance(data.get("id"), str) else None
    received = p.now()
    pushes = []
    for index, update in enumerate(updates):
        where = f"resource.refUpdates[{index}]"
        if not isinstance(update, dict):
            raise p.invalid(f"'{where}' is not an object", "resource.refUpdates")
        before = p.sha(update.get("oldObjectId"), f"{where}.oldObjectId")
        after = p.sha(update.get("newObjectId"), f"{where}.newObjectId")
        pushes.append(p.push(repo, p.full_ref(p.text(update, "name", where)), before, after, delivery,
                             received_at=received))
    if not pushes:
        raise WebhookIgnored("Azure DevOps push without ref updates")
    return pushes
