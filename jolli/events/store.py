"""The one write path: every observed change of a source becomes a source event and its job here.

Every producer (the webhook receivers, legacy per-space jobs, and jolli's own checks of a source) turns
what it saw into :class:`ObservedChange` records and calls :func:`store_changes`, the only code that
inserts source events. It

1. applies scope: a change seen through an integration creates events only for the sources that
   integration covers (same host, an owner within its owner, a repo within its selected repos, and not a
   source linked to a different integration); anything else is ignored, with the reason, and nothing is
   stored;
2. finds the enabled sources tracking the repo and branch, and for each the spaces whose enabled binding
   accepts the event JRN (sorted ascending);
3. inserts each event by its idempotency key ``(sourceId, eventJrn, headSha)`` (a unique index: the first
   insert wins, any later or concurrent one finds the existing event and creates nothing), all in one
   transaction. The database gives a queued push its job in the statement that inserts the event (the
   trigger of migration 0013), so a change that makes one new event, the common delivery, is one
   statement and a transaction of its own: on SQLite one call into the library under the writers' lock
   (:func:`jolli.store.sql.insert_id`), on PostgreSQL one round trip that also finds the source.

An event first created by a legacy per-space job is the one exception to "a duplicate changes nothing":
when the push for it arrives, its spaces are merged in and it gets its own job, so every space is done
once whichever shape arrives first. Tag pushes are ignored; a branch deletion is recorded as a ``delete``
event with no job and no spaces.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import peewee

from jolli.events.status import DeliveryOutcome, EventKind, EventStatus, JobKind, JobStatus, Origin
from jolli.events.tables import FANOUT_VERSION, LEGACY_VERSION
from jolli.matching import IntegrationScope
from jolli.provider import ZERO_SHA, CanonicalPush
from jolli.store import sql as raw
from jolli.store.db import database, is_postgres
from jolli.store.models import utcnow
from jolli.store.sql import write_tx

log = logging.getLogger(__name__)

#: At most this many commit ids of a push are kept as order evidence (GitHub lists at most 20 or 2048).
MAX_COMMITS = 2048


@dataclass(frozen=True)
class ObservedChange:
    """What a producer saw: a ref of a repository (or of one known source) moved from ``before`` to ``head``.

    ``commits`` are the commit ids the provider listed for the push (order evidence: each is a state the
    branch passed through before ``head``). A producer that knows its source sets ``source_id``; a legacy
    job also names its ``event_jrn`` and its one space (``space_ids``).
    """

    ref: str  # refs/heads/<branch>, refs/tags/<tag>; "" for a named source that follows no branch
    head: str
    origin: Origin
    repo: str | None = None
    before: str | None = None
    forced: bool = False
    deleted: bool = False
    delivery_id: str | None = None
    received_at: datetime | None = None
    commits: tuple[str, ...] = ()
    source_id: int | None = None
    event_jrn: str | None = None
    space_ids: tuple[int, ...] | None = None

    @property
    def branch(self) -> str | None:
        """The branch name for a branch ref, else ``None``."""
        return self.ref[len("refs/heads/"):] if self.ref.startswith("refs/heads/") else None

    @classmethod
    def from_push(cls, push: CanonicalPush, origin: Origin = Origin.WEBHOOK) -> ObservedChange:
        """The record of a provider's canonical push."""
        return cls(ref=push.ref, head=push.after, origin=origin, repo=push.repo, before=push.before,
                   forced=push.forced, deleted=push.deleted or push.after == ZERO_SHA,
                   delivery_id=push.delivery_id, received_at=push.received_at,
                   commits=tuple(getattr(push, "commits", ()) or ())[:MAX_COMMITS])


@dataclass(frozen=True)
class Producer:
    """Who observed the changes: an org, and the integration whose delivery or check it was (its scope
    applies; ``scope=None`` means the producer named its source itself)."""

    org_id: int
    org_name: str
    integration_id: int | None = None
    provider: str | None = None
    scope: IntegrationScope | None = None


@dataclass
class StoreResult:
    """What became of a batch of changes: ``accepted`` (new events), ``duplicate`` or ``ignored``."""

    status: str
    event_ids: list[int] = field(default_factory=list)
    duplicate_event_ids: list[int] = field(default_factory=list)
    recorded_event_ids: list[int] = field(default_factory=list)
    reason: str | None = None
    delivery_id: str | None = None

    @property
    def http_status(self) -> int:
        return 200 if self.status == DeliveryOutcome.IGNORED else 202

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


@dataclass(frozen=True)
class _Planned:
    """One event to insert: a change applied to one source."""

    change: ObservedChange
    source_id: int
    repo: str | None
    branch: str | None  # None for a source that follows no branch (a named source with its own JRN)
    event_jrn: str
    space_ids: list[int]

    @property
    def kind(self) -> EventKind:
        return EventKind.DELETE if self.change.deleted else EventKind.PUSH


def store_changes(producer: Producer, changes: Sequence[ObservedChange], *, record_delivery: bool = False
                  ) -> StoreResult:
    """Store the source events of ``changes`` (one transaction); see the module's docstring.

    ``record_delivery``: a batch that creates no event (ignored, or only duplicates) is recorded as a
    webhook delivery of ``producer``'s integration, with the reason.

    A source (or its org, or the integration) deleted between being found and its event being stored fails
    the insert's foreign key; the changes are then stored once more, from a fresh look at the sources, so
    the answer is what it would have been a moment later (``ignored``), never a server error.
    """
    try:
        return _store_changes(producer, changes, record_delivery)
    except peewee.IntegrityError:
        if database.in_transaction():
            raise  # the caller's transaction is spoilt: it decides
        log.info("stored origin=%s integrationId=%s: a source was deleted while its change was stored; "
                 "looking again", changes[0].origin if changes else "-", producer.integration_id)
        return _store_changes(producer, changes, record_delivery)


def _store_changes(producer: Producer, changes: Sequence[ObservedChange], record_delivery: bool) -> StoreResult:
    now = utcnow()
    delivery_id = next((c.delivery_id for c in changes if c.delivery_id), None)
    alone = len(changes) == 1 and not database.in_transaction()  # a new event can be a statement of its own
    if alone and producer.scope is not None and is_postgres():
        event_id = _store_push(producer, changes[0], now)
        if event_id is not None:
            return _stored(producer, changes, StoreResult("accepted", [event_id], delivery_id=delivery_id))
    reasons: list[str] = []
    planned = [p for change in changes for p in _plan(producer, change, reasons)]
    if alone and len(planned) == 1 and planned[0].kind == EventKind.PUSH:
        event_id = raw.insert_id(_INSERT_EVENT, _event_values(producer, planned[0], now))
        if event_id is not None:
            return _stored(producer, changes, StoreResult("accepted", [event_id], delivery_id=delivery_id))
    created: list[int] = []
    duplicates: list[int] = []
    recorded: list[int] = []
    with write_tx():
        for new in planned:
            event_id, fresh = _insert(producer, new, now)
            if new.kind == EventKind.DELETE:
                recorded.append(event_id)
            elif fresh:
                created.append(event_id)
            else:
                duplicates.append(event_id)
        status = "accepted" if created else DeliveryOutcome.DUPLICATE if duplicates else DeliveryOutcome.IGNORED
        reason = None
        if status == DeliveryOutcome.IGNORED:
            reason = "; ".join(dict.fromkeys(reasons)) or "nothing to store"
        elif status == DeliveryOutcome.DUPLICATE:
            reason = "every change is already stored (same source, event JRN and head)"
        if status != "accepted" and record_delivery and producer.integration_id is not None:
            insert_delivery(producer, delivery_id, status, reason, [f"{c.repo} {c.ref}" for c in changes],
                            duplicates + recorded)
    return _stored(producer, changes, StoreResult(str(status), created, duplicates, recorded, reason, delivery_id))


def _stored(producer: Producer, changes: Sequence[ObservedChange], result: StoreResult) -> StoreResult:
    """``result``, logged (accepted at debug level: every delivery is one)."""
    origin = changes[0].origin if changes else "-"
    if result.status == "accepted":
        log.debug("stored origin=%s integrationId=%s deliveryId=%s status=accepted eventIds=%s",
                  origin, producer.integration_id, result.delivery_id, result.event_ids)
    else:
        log.info("stored origin=%s integrationId=%s deliveryId=%s status=%s eventIds=%s reason=%s",
                 origin, producer.integration_id, result.delivery_id, result.status,
                 result.duplicate_event_ids + result.recorded_event_ids, result.reason)
    return result


# --- scope and matching ------------------------------------------------------------------------------
def _plan(producer: Producer, change: ObservedChange, reasons: list[str]) -> list[_Planned]:
    """The events ``change`` makes, one per source it applies to; why none, in ``reasons``."""
    branch = change.branch
    what = f"{change.repo} {change.ref}" if change.repo else change.ref
    if branch is None and not (change.source_id is not None and change.event_jrn):
        reasons.append(f"{change.ref} is not a branch" + (" (tag push)" if change.ref.startswith("refs/tags/")
                                                           else ""))
        return []
    if producer.scope is not None and change.repo and not producer.scope.covers(change.repo):
        reasons.append(f"integration {producer.integration_id} does not cover {change.repo} "
                       f"({producer.scope.scope_text()})")
        return []
    sources = _sources(producer.org_id, change)
    if producer.integration_id is not None:
        foreign = [s for s in sources if s.integration_id not in (None, producer.integration_id)]
        sources = [s for s in sources if s not in foreign]
        if foreign and not sources:
            ids = ", ".join(str(s.id) for s in foreign)
            reasons.append(f"source {ids} tracking {what} is linked to another integration")
            return []
    if not sources:
        reasons.append(f"no enabled source tracks {change.repo} branch {branch}" if change.repo
                       else f"source {change.source_id} does not exist or is disabled")
        return []
    if change.deleted:
        reasons.append(f"branch {branch} of {change.repo} was deleted")
    planned = []
    for source in sources:
        jrn = change.event_jrn or event_jrn_for(producer.org_name, source.repo or "", branch or "")
        if change.deleted:
            spaces: list[int] = []
        elif change.space_ids is not None:
            spaces = sorted(set(change.space_ids))
        else:
            spaces = sorted({space for space, pattern in source.bindings if pattern_accepts(pattern, jrn)})
        planned.append(_Planned(change, source.id, source.repo, branch, jrn, spaces))
    return planned


@dataclass
class _Source:
    """A source a change applies to, with its enabled bindings ``(space_id, jrn_pattern)``."""

    id: int
    repo: str | None
    integration_id: int | None
    bindings: list[tuple[int, str | None]]


_SOURCES = (
    "SELECT s.id, s.repo, s.integration_id, b.space_id, b.jrn_pattern FROM source s "
    "LEFT JOIN space_source b ON b.source_id = s.id AND b.enabled = ? "
)
#: ``LOWER(s.repo)`` within an org is what the index of migration 0004 answers.
_BY_REPO = _SOURCES + ("WHERE s.org_id = ? AND s.enabled = ? AND LOWER(s.repo) = ? "
                       "AND (s.branch IS NULL OR s.branch = ?) ORDER BY s.id")
_BY_ID = _SOURCES + "WHERE s.org_id = ? AND s.enabled = ? AND s.id = ? ORDER BY s.id"


def _sources(org_id: int, change: ObservedChange) -> list[_Source]:
    """Enabled sources of the org that ``change`` applies to (its repo on its branch, or its named source)."""
    if change.source_id is not None:
        rows = raw.rows(_BY_ID, (True, org_id, True, change.source_id))
    else:
        rows = raw.rows(_BY_REPO, (True, org_id, True, (change.repo or "").lower(), change.branch))
    found: dict[int, _Source] = {}
    for source_id, repo, integration_id, space_id, pattern in rows:
        source = found.setdefault(int(source_id), _Source(int(source_id), repo, integration_id, []))
        if space_id is not None:
            source.bindings.append((int(space_id), pattern))
    return list(found.values())


def event_jrn_for(org_name: str, repo: str, branch: str) -> str:
    """The event JRN of a push to ``branch`` of ``repo`` in ``org_name``."""
    from jolli.jrn import event_jrn

    return str(event_jrn(org_name, repo, branch))


def pattern_accepts(pattern: str | None, jrn: str) -> bool:
    """Whether a binding's ``jrnPattern`` (``None`` or empty: no filter) accepts ``jrn``."""
    if not pattern:
        return True
    from jolli.jrn import matches

    return bool(matches(pattern, jrn))


# --- inserts -------------------------------------------------------------------------------------------
EVENT_COLUMNS = ("org_id", "source_id", "integration_id", "event_jrn", "head_sha", "before_sha", "repo", "branch",
                 "affected_space_ids", "version", "origin", "kind", "forced", "status", "delivery_id", "received_at",
                 "commits")
_INSERT_EVENT = (
    f"INSERT INTO source_event ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' for _ in EVENT_COLUMNS)}) "
    "ON CONFLICT (source_id, event_jrn, head_sha) DO NOTHING"
)
_JOB_COLUMNS = ("org_id, kind, event_id, dedupe_key, source_id, branch_key, status, run_after, takeovers, failures, "
                "created_at, updated_at")
#: The one statement that queues an event's job: new, or queued again if it had finished (retry, merge).
_ENQUEUE_JOB = (
    f"INSERT INTO event_job ({_JOB_COLUMNS}) VALUES (?, '{JobKind.EVENT}', ?, ?, ?, ?, '{JobStatus.QUEUED}', ?, 0, 0, "
    "?, ?) ON CONFLICT (dedupe_key) DO UPDATE SET status = excluded.status, run_after = excluded.run_after, "
    "updated_at = excluded.updated_at, finished_at = NULL, failures = 0, takeovers = 0, last_error = NULL "
    f"WHERE event_job.status IN ('{JobStatus.DONE}', '{JobStatus.DEAD}') RETURNING id"
)


def _event_values(producer: Producer, new: _Planned, now: datetime) -> tuple[Any, ...]:
    """The parameters of :data:`_INSERT_EVENT` (the columns of :data:`EVENT_COLUMNS`)."""
    change = new.change
    legacy = change.origin == Origin.LEGACY
    before = change.before if change.before and change.before != ZERO_SHA else None
    return (
        producer.org_id, new.source_id, producer.integration_id, new.event_jrn,
        ZERO_SHA if change.deleted else change.head, before, new.repo, new.branch,
        json.dumps(new.space_ids, separators=(",", ":")), LEGACY_VERSION if legacy else FANOUT_VERSION,
        str(change.origin), str(new.kind), change.forced,
        str(EventStatus.DELETED if change.deleted else EventStatus.QUEUED), change.delivery_id,
        _received(change, now), json.dumps(list(change.commits)) if change.commits else None,
    )


def _received(change: ObservedChange, now: datetime) -> datetime:
    """When ``change`` was received, as stored (naive UTC): never later than ``now``, the time it is stored (its
    job is due from then: migration 0013)."""
    return min(raw.naive(change.received_at or now), raw.naive(now))


def _insert(producer: Producer, new: _Planned, now: datetime) -> tuple[int, bool]:
    """Insert one event by its idempotency key (its job comes with it: migration 0013); ``(id, created)``;
    a legacy-made event that a push reaches, or a legacy job reaching an existing event, is merged (and
    counts as created)."""
    event_id = raw.insert_id(_INSERT_EVENT, _event_values(producer, new, now))
    if event_id is not None:
        return event_id, True
    return _existing(producer, new, now)


def _existing(producer: Producer, new: _Planned, now: datetime) -> tuple[int, bool]:
    lock = " FOR UPDATE" if is_postgres() else ""
    found = raw.rows("SELECT id, origin, affected_space_ids, status FROM source_event WHERE source_id = ? "
                     "AND event_jrn = ? AND head_sha = ?" + lock,
                     (new.source_id, new.event_jrn, ZERO_SHA if new.change.deleted else new.change.head))
    event_id, origin, spaces_json, status = found[0]
    event_id = int(event_id)
    spaces = sorted(set(json.loads(spaces_json or "[]")) | set(new.space_ids))
    if new.change.origin == Origin.LEGACY:
        if spaces != json.loads(spaces_json or "[]"):
            raw.execute("UPDATE source_event SET affected_space_ids = ? WHERE id = ?",
                        (json.dumps(spaces, separators=(",", ":")), event_id))
        return event_id, True
    if origin == Origin.LEGACY and new.kind == EventKind.PUSH:  # the push for an event a legacy job made
        raw.execute(
            f"UPDATE source_event SET affected_space_ids = ?, origin = ?, version = ?, status = '{EventStatus.QUEUED}', "
            "finished_at = NULL, before_sha = COALESCE(before_sha, ?), delivery_id = COALESCE(delivery_id, ?), "
            "integration_id = COALESCE(integration_id, ?), commits = COALESCE(commits, ?) WHERE id = ?",
            (json.dumps(spaces, separators=(",", ":")), str(new.change.origin), FANOUT_VERSION,
             new.change.before if new.change.before != ZERO_SHA else None, new.change.delivery_id,
             producer.integration_id, json.dumps(list(new.change.commits)) if new.change.commits else None,
             event_id))
        enqueue_job(producer.org_id, event_id, new.source_id, new.branch, now)
        return event_id, True
    if origin in (Origin.POLL, Origin.MANUAL) and new.change.origin == Origin.WEBHOOK:
        # the webhook for a push a check found first: not a webhook gap (jolli/events/health.py)
        raw.execute("UPDATE source_event SET webhook_at = ? WHERE id = ? AND webhook_at IS NULL",
                    (raw.naive(now), event_id))
    return event_id, False


#: PostgreSQL, the common delivery in one statement and one round trip: when exactly one enabled source of
#: the org tracks the pushed repo (spelt as the push spells it) and branch, is not linked to another
#: integration, and has no enabled binding with a ``jrnPattern`` (so every binding is affected), its new
#: event (and so its job, migration 0013); no row otherwise (none, several, a pattern, a duplicate): the
#: general path then decides.
#: Measured with ``bench/bench_events_intake.py`` (8 paired rounds, session 6): without it PostgreSQL intake is
#: 77% of the floor with sync workers and 78% with 32 threads (the source lookup is a round trip of its own),
#: with it 88% and 92% (target 75%). SQLite needs no such statement: its lookup is a call in the process.
_STORE_PUSH = (
    "WITH src AS (SELECT s.id, s.repo FROM source s WHERE s.org_id = ? AND s.enabled AND LOWER(s.repo) = ? "
    "AND (s.branch IS NULL OR s.branch = ?) AND (s.integration_id IS NULL OR s.integration_id = ?)), "
    "one AS (SELECT src.id, src.repo FROM src WHERE (SELECT COUNT(*) FROM src) = 1 AND src.repo = ? "
    "AND NOT EXISTS (SELECT 1 FROM space_source b WHERE b.source_id = src.id AND b.enabled AND b.jrn_pattern <> '')) "
    f"INSERT INTO source_event ({', '.join(EVENT_COLUMNS)}) SELECT "
    + ", ".join({"source_id": "one.id", "repo": "one.repo",
                 "affected_space_ids": "COALESCE((SELECT '[' || STRING_AGG(b.space_id::text, ',' ORDER BY b.space_id) "
                                       "|| ']' FROM space_source b WHERE b.source_id = one.id AND b.enabled), '[]')"}
                .get(c, "?") for c in EVENT_COLUMNS)
    + " FROM one ON CONFLICT (source_id, event_jrn, head_sha) DO NOTHING RETURNING id"
)
_FROM_SOURCE = ("source_id", "repo", "affected_space_ids")


def _store_push(producer: Producer, change: ObservedChange, now: datetime) -> int | None:
    """The new event's id when :data:`_STORE_PUSH` stored ``change``, else ``None`` (the general path)."""
    branch = change.branch
    if (branch is None or change.deleted or change.origin == Origin.LEGACY or change.source_id is not None
            or not change.repo or producer.scope is None or not producer.scope.covers(change.repo)):
        return None
    new = _Planned(change, 0, change.repo, branch, event_jrn_for(producer.org_name, change.repo, branch), [])
    values = dict(zip(EVENT_COLUMNS, _event_values(producer, new, now), strict=True))
    found = raw.rows(_STORE_PUSH, (producer.org_id, change.repo.lower(), branch, producer.integration_id, change.repo)
                     + tuple(v for c, v in values.items() if c not in _FROM_SOURCE))
    return int(found[0][0]) if found else None


def enqueue_job(org_id: int, event_id: int, source_id: int, branch: str | None, run_after: datetime) -> int | None:
    """Queue the event's job, due at ``run_after``: created if missing, queued again if it had finished;
    its id, or ``None`` when it was already queued or running (left as it is)."""
    now = raw.naive(utcnow())
    found = raw.rows(_ENQUEUE_JOB, (org_id, event_id, f"event:{event_id}", source_id, branch or "",
                                    raw.naive(run_after), now, now))
    return int(found[0][0]) if found else None


def insert_delivery(producer: Producer, delivery_id: str | None, outcome: str, reason: str | None,
                    refs: Sequence[str] = (), event_ids: Sequence[int] = ()) -> None:
    """The record of one verified delivery that created no event (call inside a write transaction)."""
    raw.execute(
        "INSERT INTO webhook_delivery (org_id, integration_id, provider, delivery_id, outcome, reason, refs, "
        "event_ids, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (producer.org_id, producer.integration_id, producer.provider or "", delivery_id, str(outcome), reason,
         json.dumps(list(refs), separators=(",", ":")), json.dumps(list(event_ids), separators=(",", ":")),
         raw.naive(utcnow())),
    )
