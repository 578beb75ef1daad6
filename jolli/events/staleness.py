"""Is an event stale, and what changed? Asked of the source type (git, for a local clone), then of the
provider's compare API, and, when neither can tell, answered by push order.

An event is stale when its head equals the cursor (unless this very event put it there: a resumed or
retried event must finish its spaces) or is behind it (an ancestor). A diverged head (a force push) is
neither newer nor older by ancestry, so push order decides, as it does when nothing knows the commits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jolli.events.cursor import last_setter
from jolli.events.tables import SourceEvent
from jolli.provider import CompareResult, IntegrationRef
from jolli.registry import get_plugins
from jolli.source_type import ChangeSet
from jolli.store.models import Integration, Source

log = logging.getLogger("jolli.events.staleness")


@dataclass(frozen=True)
class ChangeContext:
    """The ``context`` handed to a source type's ``is_stale`` / ``detect_changes``.

    ``repo_path`` is a local clone holding the commits (from ``JOLLI_GIT_MIRRORS``), when there is one.
    """

    source_id: int
    repo: str | None
    branch: str | None
    repo_path: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """The answer for one event against the current cursor."""

    stale: bool
    reason: str
    changes: ChangeSet
    method: str  # none | equal | source-type | provider | push-order


def mirror_path(mirrors: str | None, repo: str | None) -> str | None:
    """The local clone of ``repo`` under the mirrors folder (``<host>/<owner>/<repo>[.git]``), if any."""
    if not mirrors or not repo:
        return None
    base = os.path.join(mirrors, *repo.split("/"))
    for candidate in (base + ".git", base):
        if os.path.isdir(candidate):
            return candidate
    return None


def judge(source: Source, event: SourceEvent, *, mirrors: str | None = None,
          client_factory: Callable[[Source], Any] | None = None) -> Verdict:
    """Whether ``event`` is stale against ``source``'s cursor, and the changes from cursor to head."""
    cursor = source.cursor_value
    head = event.head_sha
    if cursor is None:
        changes = _changes(source, None, head, mirrors)
        return Verdict(False, "no cursor yet", changes, "none")
    if cursor == head:
        setter = last_setter(source.id)
        if _set_by(setter, source) and setter is not None and setter.event_id == event.id:
            return Verdict(False, "this event set the cursor; finishing its spaces",
                           ChangeSet(base=setter.old_value, head=head, relation="ahead"), "equal")
        return Verdict(True, "head equals the cursor", ChangeSet(cursor, head, "identical"), "equal")
    changes = _changes(source, cursor, head, mirrors)
    method = "source-type"
    if changes.relation not in ("ahead", "behind", "identical"):
        compared = _compare(source, cursor, head, client_factory)
        if compared is not None:
            method = "provider"
            files = compared.files or changes.files
            changes = ChangeSet(base=cursor, head=head, relation=compared.status, files=tuple(files))
    if changes.relation in ("behind", "identical"):
        return Verdict(True, f"head {head[:12]} is an ancestor of the cursor {cursor[:12]} ({method})",
                       changes, method)
    if changes.relation == "ahead":
        return Verdict(False, f"head is ahead of the cursor ({method})", changes, method)
    newer = _newer_by_push_order(source, event)
    why = "diverged from" if changes.relation == "diverged" else "not comparable with"
    if newer:
        return Verdict(False, f"head {why} the cursor; pushed later (push order)", changes, "push-order")
    return Verdict(True, f"head {why} the cursor; pushed earlier (push order)", changes, "push-order")


def is_behind_or_equal(source: Source, event: SourceEvent, cursor: str, version: int, mirrors: str | None = None,
                       client_factory: Callable[[Source], Any] | None = None) -> bool:
    """For the cursor compare-and-swap: is ``event``'s head at or behind a cursor that moved meanwhile?"""
    if cursor == event.head_sha:
        return True
    probe = Source(id=source.id, org=source.org_id, type=source.type, repo=source.repo, branch=source.branch,
                   integration=source.integration_id, fields=source.fields, cursor_value=cursor,
                   cursor_version=version, cursor_updated_at=source.cursor_updated_at)
    return judge(probe, event, mirrors=mirrors, client_factory=client_factory).stale


def _context(source: Source, mirrors: str | None) -> ChangeContext:
    import json

    try:
        fields = json.loads(source.fields) if source.fields else {}
    except ValueError:
        fields = {}
    return ChangeContext(source_id=source.id, repo=source.repo, branch=source.branch,
                         repo_path=mirror_path(mirrors, source.repo), fields=fields if isinstance(fields, dict) else {})


def _changes(source: Source, base: str | None, head: str, mirrors: str | None) -> ChangeSet:
    """The source type's view of what changed (its own knowledge, or git on a local clone)."""
    try:
        source_type = get_plugins().source_type(source.type)
        result = source_type.detect_changes(source, base, head, _context(source, mirrors))
        if isinstance(result, ChangeSet):
            return result
    except Exception as exc:  # noqa: BLE001 - a plugin failing here falls back to the next method
        log.warning("sourceId=%s source type %r could not compare commits: %s: %s",
                    source.id, source.type, type(exc).__name__, exc)
    return ChangeSet(base=base, head=head)


def provider_client(source: Source) -> tuple[Any, Any] | None:
    """The provider API client and repo coordinate for a source linked to an integration, if any."""
    if source.integration_id is None or not source.repo:
        return None
    integration = Integration.get_or_none(Integration.id == source.integration_id)
    if integration is None:
        return None
    provider = get_plugins().provider(integration.provider)
    ref = IntegrationRef(
        provider=integration.provider, host=integration.host, api_base_url=integration.api_base_url,
        token=integration.access_token, installation_id=integration.installation_id,
    )
    return provider.client(ref), _coordinate(source.repo)


def _coordinate(repo: str) -> Any:
    from jolli.coordinates import RepoCoordinate

    host, _, rest = repo.partition("/")
    owner, _, name = rest.rpartition("/")
    return RepoCoordinate(host=host, owner=owner, name=name)


def _compare(source: Source, cursor: str, head: str,
             client_factory: Callable[[Source], Any] | None) -> CompareResult | None:
    try:
        found = (client_factory or provider_client)(source)
        if found is None:
            return None
        client, repo = found
        result = client.compare(repo, cursor, head)
        return result if isinstance(result, CompareResult) else None
    except Exception as exc:  # noqa: BLE001 - an unreachable provider means "cannot tell", not failure
        log.warning("sourceId=%s provider compare failed: %s", source.id, type(exc).__name__)
        return None


def _newer_by_push_order(source: Source, event: SourceEvent) -> bool:
    """Whether ``event`` was received after whatever set the cursor."""
    setter = last_setter(source.id)
    if _set_by(setter, source) and setter is not None and setter.event_id is not None:
        return event.id > setter.event_id
    if source.cursor_updated_at is None or event.received_at is None:
        return True
    return event.received_at > source.cursor_updated_at


def _set_by(setter: Any, source: Source) -> bool:
    """Whether the history row ``setter`` is what put the source's current cursor in place."""
    return (
        setter is not None
        and setter.new_value == source.cursor_value
        and setter.version == (source.cursor_version or 0)
    )
