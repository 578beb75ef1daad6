"""GitLab (gitlab.com and self-managed) push webhooks: token check and payload parsing.

- Authentication: GitLab sends the configured secret itself in ``X-Gitlab-Token`` (no HMAC); it is
  compared in constant time.
- Events (``X-Gitlab-Event``): ``Push Hook`` and ``Tag Push Hook`` are parsed, as is a ``System Hook``
  whose body is a push or tag push; everything else is ignored.
- Coordinate: host of ``project.web_url`` (else ``X-Gitlab-Instance``) + ``project.path_with_namespace``;
  nested groups are kept (``gitlab.com/group/sub/repo``), owner and name as GitLab reports them.
- GitLab push bodies do not say whether a push was forced: ``forced`` is always ``False``.
- Delivery id: ``Idempotency-Key`` (stable across retries), else ``X-Gitlab-Event-UUID``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from jolli.provider import CanonicalPush, WebhookIgnored

from . import _payload as p
from ._signatures import get_header, token_matches

TOKEN_HEADER = "X-Gitlab-Token"
EVENT_HEADER = "X-Gitlab-Event"
_PUSH_EVENTS = {"push hook": "push", "tag push hook": "tag_push"}
_KINDS = ("push", "tag_push")


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """Whether ``X-Gitlab-Token`` equals ``secret`` (constant time); ``body`` is not signed by GitLab."""
    return token_matches(secret, get_header(headers, TOKEN_HEADER))


def repo_coordinate(headers: Mapping[str, str], data: Mapping[str, Any]) -> str:
    """``host/group[/sub...]/repo`` of the project a GitLab delivery is about."""
    project, repository = p.maybe_obj(data, "project"), p.maybe_obj(data, "repository")
    web_url = project.get("web_url") or repository.get("homepage")
    host = p.host_of(web_url) or p.host_of(get_header(headers, "X-Gitlab-Instance"))
    path = project.get("path_with_namespace")
    if not isinstance(path, str) or not path:
        if not isinstance(web_url, str) or not web_url:
            raise p.invalid("webhook body has no 'project.path_with_namespace'", "project")
        path = urlsplit(web_url).path
    owner, name = p.split_path(path, nested=True)
    return p.coordinate(host, owner, name, nested=True)


def parse(headers: Mapping[str, str], body: bytes) -> list[CanonicalPush]:
    """Turn a push or tag push delivery into its one ref update; ignore other events."""
    event = (get_header(headers, EVENT_HEADER) or "").strip()
    if not event:
        raise p.invalid(f"missing {EVENT_HEADER} header", EVENT_HEADER)
    expected = _PUSH_EVENTS.get(event.lower())
    if expected is None and event.lower() != "system hook":
        raise WebhookIgnored(f"GitLab event '{event}' is not a push")
    data = p.load_json(body)
    kind = data.get("object_kind") or data.get("event_name") or expected
    if kind not in _KINDS:
        raise WebhookIgnored(f"GitLab {event} with object_kind '{kind}' is not a push")
    before = p.sha(data.get("before"), "before")
    after = p.sha(data.get("after"), "after")
    delivery = get_header(headers, "Idempotency-Key") or get_header(headers, "X-Gitlab-Event-UUID")
    ref = p.full_ref(p.text(data, "ref"), "tag" if kind == "tag_push" else "branch")
    return [p.push(repo_coordinate(headers, data), ref, before, after, delivery, commits=p.commit_ids(data))]
