"""Order evidence: is an event behind the cursor, ahead of it, or superseded by a newer waiting event?

The cursor never moves to a state of the branch that an already-processed state is known to have
followed. Evidence, cheapest first:

1. **The pushes themselves** (:class:`PushChain`): every stored push of a ``(source, branch)`` says the
   branch moved from ``before`` to ``head``, passing through the ``commits`` the provider listed. A head
   that is a ``before`` (or a listed commit) anywhere in the chain back from the cursor is stale; a cursor
   found in the chain back from the head is behind it. No network, no mirror, no token needed; force
   pushes included (a force push is still a move of the branch from ``before`` to ``head``).
2. **git**: the source type's ``detect_changes`` (for ``git``, ``git merge-base`` in a local clone under
   ``JOLLI_GIT_MIRRORS``).
3. **The provider's compare API**, for a source linked to an integration.
4. **The branch's current head** from the provider API: an event whose head *is* the branch's head is the
   newest state there is; one whose head is not, while the branch is at the cursor, is not newer.

When nothing decides, the verdict says so (``decided=False``): the worker holds the event and retries for
evidence, then applies it marked ``orderAssumed`` (see :mod:`jolli.events.processing`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jolli.events.cursor import last_setter
from jolli.events.status import EventKind, EventStatus
from jolli.events.tables import SourceEvent
from jolli.provider import CompareResult
from jolli.registry import get_plugins
from jolli.repo_coordinate import RepoCoordinate
from jolli.source_type import ChangeSet
from jolli.store import sql as raw
from jolli.store.models import Integration, Source

log = logging.getLogger(__name__)

#: How many of a (source, branch)'s latest events the push chain reads.
CHAIN_EVENTS = 1000


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
    """The answer for one event against the current cursor (``decided=False``: no evidence orders it)."""

    stale: bool
    reason: str
    changes: ChangeSet
    method: str  # none | equal | push-chain | source-type | provider | branch-head | superseded | undecided
    decided: bool = True


@dataclass(frozen=True)
class ChainEvent:
    """One stored event of a (source, branch), as the push chain reads it."""

    id: int
    before: str | None
    head: str
    commits: tuple[str, ...]
    status: str
    received_at: datetime | None

    @property
    def pending(self) -> bool:
        return self.status in (EventStatus.QUEUED, EventStatus.PROCESSING)


class PushChain:
    """The moves of one (source, branch) that its stored pushes report: ``before -> head`` via ``commits``."""

    def __init__(self, events: Iterable[ChainEvent]) -> None:
        self.events = list(events)
        self._before: dict[str, set[str]] = {}
        for e in self.events:
            earlier = self._before.setdefault(e.head, set())
            earlier.update(c for c in e.commits if c != e.head)
            if e.before:
                earlier.add(e.before)

    @classmethod
    def load(cls, source_id: int, branch: str | None) -> PushChain:
        """The latest :data:`CHAIN_EVENTS` push events of ``(source, branch)`` (one indexed statement)."""
        rows = raw.rows(
            "SELECT id, before_sha, head_sha, commits, status, received_at FROM source_event "
            f"WHERE source_id = ? AND COALESCE(branch, '') = ? AND kind = '{EventKind.PUSH}' ORDER BY id DESC LIMIT {CHAIN_EVENTS}",
            (source_id, branch or ""),
        )
        return cls(ChainEvent(int(i), b, h, tuple(json.loads(c)) if c else (), str(s),
                              SourceEvent.received_at.python_value(r)) for i, b, h, c, s, r in rows)

    def followed(self, earlier: str, later: str) -> bool:
        """Whether the pushes show the branch at ``earlier`` before it was at ``later``."""
        seen, todo = {later}, [later]
        while todo:
            for state in self._before.get(todo.pop(), ()):
                if state == earlier:
                    return True
                if state not in seen:
                    seen.add(state)
                    todo.append(state)
        return False

    def newer_pending(self, event: SourceEvent) -> ChainEvent | None:
        """A waiting event whose head the pushes show came after ``event``'s head (the newest such), if any."""
        for other in self.events:  # newest first
            if other.id != event.id and other.pending and self.followed(event.head_sha, other.head):
                return other
        return None

    def latest_received(self, event: SourceEvent) -> datetime | None:
        """When the latest *other* push of this (source, branch) was received."""
        times = [e.received_at for e in self.events if e.id != event.id and e.received_at is not None]
        return max(times) if times else None


def superseded(event: SourceEvent, chain: PushChain) -> Verdict | None:
    """A stale verdict when a newer event of the same branch is waiting (bursts coalesce to their newest)."""
    newer = chain.newer_pending(event)
    if newer is None:
        return None
    return Verdict(True, f"superseded by event {newer.id} (head {newer.head[:12]}, pushed after this one)",
                   ChangeSet(event.head_sha, newer.head, "behind"), "superseded")


def mirror_path(mirrors: str | None, repo: str | None) -> str | None:
    """The local clone of ``repo`` under the mirrors folder (``<host>/<owner>/<repo>[.git]``), if any."""
    if not mirrors or not repo:
        return None
    base = os.path.join(mirrors, *repo.split("/"))
    for candidate in (base + ".git", base):
        if os.path.isdir(candidate):
            return candidate
    return None


def judge(source: Source, event: SourceEvent, chain: PushChain, *, mirrors: str | None = None,
          client_factory: Callable[[Source], Any] | None = None) -> Verdict:
    """Whether ``event`` is stale against ``source``'s cursor, and the changes from cursor to head."""
    cursor = source.cursor_value
    head = event.head_sha
    if cursor is None:
        return Verdict(False, "no cursor yet", _changes(source, None, head, mirrors), "none")
    if cursor == head:
        setter = last_setter(source.id)
        if _set_by(setter, source) and setter is not None and setter.event_id == event.id:
            return Verdict(False, "this event set the cursor; finishing its spaces",
                           ChangeSet(base=setter.old_value, head=head, relation="ahead"), "equal")
        return Verdict(True, "head equals the cursor", ChangeSet(cursor, head, "identical"), "equal")
    if chain.followed(head, cursor):
        return Verdict(True, f"head {head[:12]} was pushed before the cursor {cursor[:12]} (push chain)",
                       ChangeSet(cursor, head, "behind"), "push-chain")
    changes = _changes(source, cursor, head, mirrors)
    method = "source-type"
    if changes.relation not in ("ahead", "behind", "identical"):
        compared = _compare(source, cursor, head, client_factory)
        if compared is not None:
            method = "provider"
            changes = ChangeSet(base=cursor, head=head, relation=compared.status,
                                files=tuple(compared.files or changes.files))
    if chain.followed(cursor, head):
        relation = "diverged" if changes.relation == "diverged" else "ahead"  # a force push stays visible
        return Verdict(False, "head was pushed after the cursor (push chain)",
                       ChangeSet(cursor, head, relation, changes.files), "push-chain")
    if changes.relation in ("behind", "identical"):
        return Verdict(True, f"head {head[:12]} is an ancestor of the cursor {cursor[:12]} ({method})",
                       changes, method)
    if changes.relation == "ahead":
        return Verdict(False, f"head is ahead of the cursor ({method})", changes, method)
    current = _branch_head(source, event.branch, client_factory)
    if current == head:
        return Verdict(False, "head is the branch's current head (provider)", changes, "branch-head")
    if current == cursor:
        return Verdict(True, "the branch's current head is the cursor (provider)", changes, "branch-head")
    why = "diverged from" if changes.relation == "diverged" else "not comparable with"
    return Verdict(False, f"head {why} the cursor and no evidence orders them", changes, "undecided",
                   decided=False)


def is_behind_or_equal(source: Source, event: SourceEvent, cursor: str, version: int, mirrors: str | None = None,
                       client_factory: Callable[[Source], Any] | None = None) -> bool:
    """For the cursor compare-and-swap: is ``event``'s head at or behind a cursor that moved meanwhile?"""
    if cursor == event.head_sha:
        return True
    probe = Source(id=source.id, org=source.org_id, type=source.type, repo=source.repo, branch=source.branch,
                   integration=source.integration_id, fields=source.fields, cursor_value=cursor,
                   cursor_version=version, cursor_updated_at=source.cursor_updated_at)
    chain = PushChain.load(source.id, event.branch)
    return judge(probe, event, chain, mirrors=mirrors, client_factory=client_factory).stale


def _context(source: Source, mirrors: str | None) -> ChangeContext:
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
    from jolli.integration_ref import ref_of

    ref = ref_of(integration)
    provider = get_plugins().provider(ref.provider)
    return provider.client(ref), RepoCoordinate.of(source.repo)


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


def _branch_head(source: Source, branch: str | None, client_factory: Callable[[Source], Any] | None) -> str | None:
    """The branch's current head from the provider API, when it can be had."""
    if not branch:
        return None
    try:
        found = (client_factory or provider_client)(source)
        if found is None:
            return None
        client, repo = found
        head = client.branch_head(repo, branch)
        return head if isinstance(head, str) and head else None
    except Exception as exc:  # noqa: BLE001 - an unreachable provider means "cannot tell", not failure
        log.warning("sourceId=%s provider branch head failed: %s", source.id, type(exc).__name__)
        return None


def _set_by(setter: Any, source: Source) -> bool:
    """Whether the history row ``setter`` is what put the source's current cursor in place."""
    return (
        setter is not None
        and setter.new_value == source.cursor_value
        and setter.version == (source.cursor_version or 0)
    )
