"""The receiver's statements, written out once instead of built per request.

A webhook is the hottest path of the system: one request per push, from every provider at once. Building
SQL through the query builder cost several times more than running it. So the receiver reads the
integration, and the matching sources with their bindings, in one statement each. It then writes the
event, the job and the delivery with plain ``INSERT``s. On PostgreSQL the common push (one source, no
binding pattern) is found and stored by a single statement instead (:func:`insert_push`). The
idempotency key holds through ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, which SQLite (3.35+)
and PostgreSQL both support. Placeholders are written ``?`` and turned into the driver's style.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jolli.events import rawsql as raw
from jolli.events.group_commit import GroupCommit
from jolli.secrets import decrypt
from jolli.store.db import database, is_postgres
from jolli.store.models import Integration

_sql = raw.sql
_rows = raw.rows
_naive = raw.naive


@dataclass(frozen=True)
class IntegrationInfo:
    """What the receiver needs of an integration (``secret`` is never logged or shown)."""

    id: int
    org_id: int
    org_name: str
    provider: str
    secret: str | None = field(repr=False)
    #: The secret before the last change, verifying deliveries until ``previous_until`` (UTC) too.
    previous_secret: str | None = field(default=None, repr=False)
    previous_until: datetime | None = None


#: Integrations read by this process, with when: a burst of deliveries reads each integration once a second.
_integrations: dict[tuple[str, int], tuple[float, IntegrationInfo]] = {}
INTEGRATION_TTL = 1.0


def integration(integration_id: int, *, cached: bool = False) -> IntegrationInfo | None:
    """The integration and its org's name, in one statement (or from the last second, with ``cached``:
    a changed secret or a deleted integration is seen at most :data:`INTEGRATION_TTL` seconds late)."""
    key = (str(getattr(database.obj, "database", "")), integration_id)
    if cached:
        hit = _integrations.get(key)
        if hit is not None and time.monotonic() - hit[0] < INTEGRATION_TTL:
            return hit[1]
    found = _integration(integration_id)
    if found is None:
        _integrations.pop(key, None)
    elif cached:
        if len(_integrations) > 10_000:
            _integrations.clear()
        _integrations[key] = (time.monotonic(), found)
    return found


def _integration(integration_id: int) -> IntegrationInfo | None:
    rows = _rows(
        "SELECT i.id, i.org_id, o.name, i.provider, i.webhook_secret, i.previous_webhook_secret, "
        "i.previous_secret_until FROM integration i JOIN org o ON o.id = i.org_id WHERE i.id = ?",
        (integration_id,),
    )
    if not rows:
        return None
    iid, org_id, org_name, provider, secret, previous, until = rows[0]
    return IntegrationInfo(int(iid), int(org_id), str(org_name), str(provider),
                           None if secret is None else decrypt(secret),
                           None if previous is None else decrypt(previous),
                           Integration.previous_secret_until.python_value(until))


@dataclass
class SourceMatch:
    """A source tracking a push, with its enabled bindings ``(space_id, jrn_pattern)``."""

    id: int
    repo: str
    bindings: list[tuple[int, str | None]]


#: Parameters: enabled (true), org id, enabled (true), lower-cased repo, branch. ``LOWER(s.repo)`` within an
#: org is what the index of migration 0004 answers.
MATCHING_SOURCES = (
    "SELECT s.id, s.repo, b.space_id, b.jrn_pattern FROM source s "
    "LEFT JOIN space_source b ON b.source_id = s.id AND b.enabled = ? "
    "WHERE s.org_id = ? AND s.enabled = ? AND LOWER(s.repo) = ? AND (s.branch IS NULL OR s.branch = ?) "
    "ORDER BY s.id"
)


def matching_sources(org_id: int, repo: str, branch: str) -> list[SourceMatch]:
    """Enabled sources of the org tracking ``repo`` on ``branch`` (or any branch), with their bindings."""
    rows = _rows(MATCHING_SOURCES, (True, org_id, True, repo.lower(), branch))
    found: dict[int, SourceMatch] = {}
    for source_id, source_repo, space_id, pattern in rows:
        match = found.setdefault(int(source_id), SourceMatch(int(source_id), str(source_repo), []))
        if space_id is not None:
            match.bindings.append((int(space_id), pattern))
    return list(found.values())


EVENT_COLUMNS = ("org_id", "source_id", "integration_id", "event_jrn", "head_sha", "before_sha", "repo", "branch",
                 "affected_space_ids", "version", "origin", "kind", "forced", "status", "delivery_id", "received_at")
_INSERT_EVENT = (
    f"INSERT INTO source_event ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' for _ in EVENT_COLUMNS)}) "
    "ON CONFLICT (source_id, event_jrn, head_sha) DO NOTHING RETURNING id"
)
#: PostgreSQL: the event and its job in one statement (one round trip); the job only if the event is new.
_INSERT_EVENT_AND_JOB = (
    f"WITH e AS ({_INSERT_EVENT}) "
    "INSERT INTO event_job (org_id, kind, event_id, dedupe_key, source_id, branch_key, status, run_after, "
    "takeovers, failures, created_at, updated_at) "
    "SELECT ?, 'event', e.id, 'event:' || e.id, ?, ?, 'queued', ?, 0, 0, ?, ? FROM e RETURNING event_id"
)


#: Columns :data:`_INSERT_PUSH` fills from the matching source instead of from parameters.
_FROM_SOURCE = {
    "source_id": "one.id",
    "repo": "one.repo",
    "affected_space_ids": "COALESCE((SELECT '[' || STRING_AGG(b.space_id::text, ',' ORDER BY b.space_id) || ']' "
                          "FROM space_source b WHERE b.source_id = one.id AND b.enabled), '[]')",
}
#: PostgreSQL, the common case in one round trip: when exactly one enabled source tracks the push and none of
#: its enabled bindings has a ``jrnPattern`` (so every one of them is affected), its event and job; nothing
#: (no row back) otherwise, or when the event exists.
_INSERT_PUSH = (
    "WITH src AS (SELECT s.id, s.repo FROM source s WHERE s.org_id = ? AND s.enabled AND LOWER(s.repo) = ? "
    "AND (s.branch IS NULL OR s.branch = ?)), "
    "one AS (SELECT src.id, src.repo FROM src WHERE (SELECT COUNT(*) FROM src) = 1 AND NOT EXISTS ("
    "SELECT 1 FROM space_source b WHERE b.source_id = src.id AND b.enabled AND b.jrn_pattern <> '')), "
    f"e AS (INSERT INTO source_event ({', '.join(EVENT_COLUMNS)}) "
    f"SELECT {', '.join(_FROM_SOURCE.get(c, '?') for c in EVENT_COLUMNS)} FROM one "
    "ON CONFLICT (source_id, event_jrn, head_sha) DO NOTHING RETURNING id, source_id), "
    "j AS (INSERT INTO event_job (org_id, kind, event_id, dedupe_key, source_id, branch_key, status, run_after, "
    "takeovers, failures, created_at, updated_at) "
    "SELECT ?, 'event', e.id, 'event:' || e.id, e.source_id, ?, 'queued', ?, 0, 0, ?, ? FROM e RETURNING event_id) "
    "SELECT event_id FROM j"
)


def insert_push(values: dict[str, Any], now: datetime) -> int | None:
    """PostgreSQL: store a branch push (``values``: the event's columns but the source's) in one statement
    (grouped with the process's concurrent pushes, :data:`_pushes`), when exactly one source tracks it and
    all its bindings are affected; the new event's id, else ``None`` (no source, several, a binding with a
    pattern, or a duplicate: the caller takes the general path)."""
    row = dict(values)
    row["received_at"] = _naive(row["received_at"])
    naive_now = _naive(now)
    params: tuple[Any, ...] = (row["org_id"], str(row["repo"]).lower(), row["branch"])
    params += tuple(row[c] for c in EVENT_COLUMNS if c not in _FROM_SOURCE)
    params += (row["org_id"], row["branch"] or "", naive_now, naive_now, naive_now)
    return _pushes.submit(params)


def _insert_push_one(params: tuple[Any, ...]) -> int | None:
    rows = _rows(_INSERT_PUSH, params)
    return int(rows[0][0]) if rows else None


#: Where :data:`_INSERT_PUSH` keeps the event's head SHA among its parameters (after org, repo, branch and
#: the event columns before ``head_sha`` that do not come from the source).
_HEAD_SHA_PARAM = 3 + [c for c in EVENT_COLUMNS if c not in _FROM_SOURCE].index("head_sha")


def _insert_push_group(group: Sequence[tuple[Any, ...]]) -> list[int | None]:
    """Several pushes in one transaction and one round trip (a psycopg pipeline), all or nothing.

    They are sent in the order of their idempotency key, so two processes writing overlapping groups
    take the keys' locks in the same order: one waits for the other, neither deadlocks."""
    conn = database.connection()
    query = _sql(_INSERT_PUSH)
    order = sorted(range(len(group)), key=lambda i: (group[i][0], group[i][1], group[i][2], group[i][_HEAD_SHA_PARAM]))
    results: list[int | None] = [None] * len(group)
    with conn.transaction():
        with conn.pipeline():
            cursors = [(i, conn.execute(query, group[i])) for i in order]
        for i, cursor in cursors:
            row = cursor.fetchone()
            results[i] = int(row[0]) if row else None
    return results


#: This process's group commit of single-source pushes (PostgreSQL); see :mod:`jolli.events.group_commit`.
_pushes: GroupCommit[tuple[Any, ...], int | None] = GroupCommit(_insert_push_one, _insert_push_group)


def insert_event(values: dict[str, Any], *, with_job_at: datetime | None = None) -> int | None:
    """Insert a source event unless its idempotency key exists (and, ``with_job_at``, its job, due then);
    the event's id, or ``None`` for a duplicate."""
    row = dict(values)
    row["affected_space_ids"] = json.dumps(row["affected_space_ids"], separators=(",", ":"))
    row["received_at"] = _naive(row["received_at"])
    params = tuple(row[c] for c in EVENT_COLUMNS)
    if with_job_at is not None and is_postgres():
        now = _naive(with_job_at)
        rows = _rows(_INSERT_EVENT_AND_JOB,
                     params + (row["org_id"], row["source_id"], row["branch"] or "", now, now, now))
        return int(rows[0][0]) if rows else None
    rows = _rows(_INSERT_EVENT, params)
    if not rows:
        return None
    event_id = int(rows[0][0])
    if with_job_at is not None:
        insert_job(row["org_id"], event_id, row["source_id"], row["branch"], with_job_at)
    return event_id


def existing_event(source_id: int, event_jrn: str, head_sha: str) -> tuple[int, str]:
    """Id and origin of the event holding an idempotency key (row-locked on PostgreSQL)."""
    lock = " FOR UPDATE" if is_postgres() else ""
    rows = _rows(
        "SELECT id, origin FROM source_event WHERE source_id = ? AND event_jrn = ? AND head_sha = ?" + lock,
        (source_id, event_jrn, head_sha),
    )
    return int(rows[0][0]), str(rows[0][1])


def insert_job(org_id: int, event_id: int, source_id: int, branch: str | None, now: datetime) -> None:
    """The new event's job, queued and due now."""
    now = _naive(now)
    database.execute_sql(
        _sql(
            "INSERT INTO event_job (org_id, kind, event_id, dedupe_key, source_id, branch_key, status, run_after, "
            "takeovers, failures, created_at, updated_at) VALUES (?, 'event', ?, ?, ?, ?, 'queued', ?, 0, 0, ?, ?)"
        ),
        (org_id, event_id, f"event:{event_id}", source_id, branch or "", now, now, now),
    )


def insert_delivery(org_id: int, integration_id: int, provider: str, delivery_id: str | None, outcome: str,
                    reason: str | None, refs: list[str], event_ids: list[int], now: datetime) -> None:
    """The record of one verified delivery."""
    database.execute_sql(
        _sql(
            "INSERT INTO webhook_delivery (org_id, integration_id, provider, delivery_id, outcome, reason, refs, "
            "event_ids, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        (org_id, integration_id, provider, delivery_id, outcome, reason,
         json.dumps(refs, separators=(",", ":")), json.dumps(event_ids, separators=(",", ":")), _naive(now)),
    )
