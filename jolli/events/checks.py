"""The schedule of source checks, kept in the database: which checks are due, who holds one, when next.

Every enabled source has a ``source_check`` row (made by :func:`schedule_new`, one statement for all new
sources). A worker claims a batch of due checks with one ``UPDATE ... WHERE`` that matches only while a
check's claim is free (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, like the job claims), so a source is never
checked twice at once, on any number of workers and machines. A claim expires: a worker killed mid-check
simply stops holding it, the check is still due, and the next sweep of any worker takes it. Nothing of
the schedule lives in memory, so restarts lose nothing.

When checks finish, the unchanged ones (the common case: a 304) are rescheduled in one statement per
batch, each ``interval * (1 + jitter)`` later, the jitter spread by source id so that sources do not
come due together; the others one statement each, sent together (one round trip on PostgreSQL). A
provider that asks to slow down pauses its integration (:func:`pause_integration`): no check of it is
claimed until then.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum
from typing import Any

from jolli.store import sql as raw
from jolli.store.db import is_postgres
from jolli.store.sql import write_tx


class CheckResult(StrEnum):
    """What one check of a source found."""

    UNCHANGED = "unchanged"  # the cursor, or what the last check found (a 304 included)
    CHANGED = "changed"  # a new head: a new event was stored
    KNOWN = "known"  # a new head whose event was already stored (a webhook came first)
    UNSUPPORTED = "unsupported"  # the source type cannot be asked from the server (file): sync from a mount
    PAUSED = "paused"  # the provider asked to slow down: not asked, due again when the pause ends
    ERROR = "error"


@dataclass(frozen=True)
class DueCheck:
    """A claimed check: the source as the check needs it and what the previous check left."""

    source_id: int
    org_id: int
    org_name: str
    type: str
    repo: str | None
    branch: str | None
    integration_id: int | None
    fields: str | None
    cursor: str | None
    cursor_version: int
    etag: str | None
    last_modified: str | None
    last_value: str | None
    interval_seconds: float | None


@dataclass(frozen=True)
class Outcome:
    """The result of one check, as :func:`finish` records it."""

    source_id: int
    integration_id: int | None
    result: CheckResult
    detail: str | None = None
    value: str | None = None
    event_id: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    validators_changed: bool = False
    wait: float | None = None


def now_seconds() -> float:
    return time.time()


def schedule_new(now: float) -> int:
    """Give every enabled source without one a check row, due ``now``; how many were added."""
    return raw.execute(
        "INSERT INTO source_check (source_id, due_at) SELECT s.id, ? FROM source s WHERE s.enabled = ? "
        "AND NOT EXISTS (SELECT 1 FROM source_check c WHERE c.source_id = s.id) "
        "ON CONFLICT (source_id) DO NOTHING",
        (now, True),
    )


_FREE = "(c.claimed_until IS NULL OR c.claimed_until < ?)"
_NOT_PAUSED = ("NOT EXISTS (SELECT 1 FROM integration_check i WHERE i.integration_id = s.integration_id "
               "AND i.paused_until > ?)")
_DUE = (
    "SELECT c.source_id FROM source_check c JOIN source s ON s.id = c.source_id "
    f"WHERE s.enabled = ? AND c.due_at <= ? AND {_FREE} AND {_NOT_PAUSED} ORDER BY c.due_at LIMIT ?"
)
_LOAD = (
    "SELECT s.id, s.org_id, o.name, s.type, s.repo, s.branch, s.integration_id, s.fields, s.cursor_value, "
    "s.cursor_version, c.etag, c.last_modified, c.last_value, c.interval_seconds "
    "FROM source_check c JOIN source s ON s.id = c.source_id JOIN org o ON o.id = s.org_id "
    "WHERE c.claimed_by = ? AND c.source_id IN ({ids}) ORDER BY s.integration_id, s.id"
)


def claim_due(holder: str, limit: int, now: float, lease_seconds: float) -> list[DueCheck]:
    """Claim up to ``limit`` due checks whose claim is free and whose integration is not paused (two
    statements, whatever ``limit``)."""
    lock = " FOR UPDATE OF c SKIP LOCKED" if is_postgres() else ""
    with write_tx():
        claimed = raw.rows(
            f"UPDATE source_check SET claimed_by = ?, claimed_until = ? WHERE source_id IN ({_DUE}{lock}) "
            "RETURNING source_id",
            (holder, now + lease_seconds, True, now, now, now, limit),
        )
    return _load(holder, [int(r[0]) for r in claimed])


def claim_one(holder: str, source_id: int, now: float, lease_seconds: float) -> DueCheck | None:
    """Claim the check of one source now (``POST /sync``), due or not; ``None`` while another holds it."""
    with write_tx():
        raw.execute("INSERT INTO source_check (source_id, due_at) VALUES (?, ?) ON CONFLICT (source_id) DO NOTHING",
                    (source_id, now))
        taken = raw.execute(
            f"UPDATE source_check SET claimed_by = ?, claimed_until = ? WHERE source_id = ? AND "
            f"{_FREE.replace('c.', '')}",
            (holder, now + lease_seconds, source_id, now),
        )
    found = _load(holder, [source_id]) if taken else []
    return found[0] if found else None


def _load(holder: str, ids: Sequence[int]) -> list[DueCheck]:
    if not ids:
        return []
    rows = raw.rows(_LOAD.format(ids=", ".join("?" for _ in ids)), (holder, *ids))
    return [DueCheck(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], int(r[9] or 0), r[10], r[11],
                     r[12], r[13]) for r in rows]


#: The next due time of a rescheduled check: its interval (its own, else the one given), plus a jitter of
#: up to ``jitter`` of it, spread over sources by id and varied by a per-sweep salt.
#: (``x - x / 1000 * 1000`` is ``x % 1000`` on integers in both stores, without a ``%`` in the text.)
_NEXT = "? + COALESCE(interval_seconds, ?) * (1 + ((source_id + ?) * 7 - (source_id + ?) * 7 / 1000 * 1000) * ?)"
_RELEASE = "claimed_by = NULL, claimed_until = NULL"


def finish(holder: str, outcomes: Iterable[Outcome], intervals: dict[int | None, float], jitter: float,
           now: float, salt: int = 0) -> int:
    """Record the outcomes of checks ``holder`` held and schedule their next; the statements it took.

    ``intervals``: the interval of each integration (``None``: sources without one). Unchanged checks are
    rescheduled in one statement per integration; paused ones are released still due; the rest one by one.
    """
    unchanged: dict[int | None, list[int]] = {}
    others: list[Outcome] = []
    for outcome in outcomes:
        if outcome.result == CheckResult.UNCHANGED and not outcome.validators_changed:
            unchanged.setdefault(outcome.integration_id, []).append(outcome.source_id)
        else:
            others.append(outcome)
    statements = 0
    per_unit = jitter / 1000.0
    salt %= 1000
    with write_tx():
        for integration_id, ids in unchanged.items():
            interval = intervals.get(integration_id, intervals.get(None, 300.0))
            raw.execute(
                f"UPDATE source_check SET due_at = {_NEXT}, checked_at = ?, result = ?, detail = NULL, failures = 0, "
                f"{_RELEASE} WHERE claimed_by = ? AND source_id IN ({', '.join('?' for _ in ids)})",
                (now, interval, salt, salt, per_unit, now, str(CheckResult.UNCHANGED), holder, *ids),
            )
            statements += 1
        one_by_one: list[raw.Statement] = []
        for o in others:
            interval = intervals.get(o.integration_id, intervals.get(None, 300.0))
            if o.result == CheckResult.PAUSED:
                one_by_one.append((f"UPDATE source_check SET {_RELEASE} WHERE source_id = ? AND claimed_by = ?",
                                   (o.source_id, holder)))
            else:
                failed = o.result == CheckResult.ERROR
                one_by_one.append((
                    f"UPDATE source_check SET due_at = {_NEXT}, checked_at = ?, result = ?, detail = ?, "
                    "last_value = COALESCE(?, last_value), event_id = COALESCE(?, event_id), etag = ?, "
                    f"last_modified = ?, failures = {'failures + 1' if failed else '0'}, {_RELEASE} "
                    "WHERE source_id = ? AND claimed_by = ?",
                    (now, interval, salt, salt, per_unit, now, str(o.result), o.detail, o.value, o.event_id,
                     o.etag, o.last_modified, o.source_id, holder),
                ))
        raw.batch(one_by_one)  # PostgreSQL: one round trip for all of them (SQLite runs in-process)
        statements += len(one_by_one)
    return statements


def pause_integration(integration_id: int, until: float, reason: str) -> None:
    """Claim no check of the integration before ``until`` (Unix seconds), saying why."""
    with write_tx():
        raw.execute(
            "INSERT INTO integration_check (integration_id, paused_until, pause_reason) VALUES (?, ?, ?) "
            "ON CONFLICT (integration_id) DO UPDATE SET paused_until = excluded.paused_until, "
            "pause_reason = excluded.pause_reason",
            (integration_id, until, reason),
        )


def set_interval(*, source_id: int | None = None, integration_id: int | None = None,
                 seconds: float | None) -> None:
    """An interval of a source's or an integration's own (``None``: back to the default)."""
    now = now_seconds()
    with write_tx():
        if source_id is not None:
            raw.execute("INSERT INTO source_check (source_id, due_at) VALUES (?, ?) ON CONFLICT (source_id) DO NOTHING",
                        (source_id, now))
            raw.execute("UPDATE source_check SET interval_seconds = ? WHERE source_id = ?", (seconds, source_id))
        if integration_id is not None:
            raw.execute(
                "INSERT INTO integration_check (integration_id, interval_seconds) VALUES (?, ?) "
                "ON CONFLICT (integration_id) DO UPDATE SET interval_seconds = excluded.interval_seconds",
                (integration_id, seconds),
            )


def integration_settings(ids: Iterable[int]) -> dict[int, tuple[float | None, float | None, str | None]]:
    """``{integration_id: (interval_seconds, paused_until, pause_reason)}`` for those that have a row."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = raw.rows("SELECT integration_id, interval_seconds, paused_until, pause_reason FROM integration_check "
                    f"WHERE integration_id IN ({', '.join('?' for _ in wanted)})", wanted)
    return {int(r[0]): (r[1], r[2], r[3]) for r in rows}


def source_check_row(source_id: int) -> dict[str, Any] | None:
    """The check state of one source, as the API shows it (``None`` before its first scheduling)."""
    return source_check_rows([source_id]).get(source_id)


def source_check_rows(source_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The check states of ``source_ids`` (those scheduled), in one query: a page of sources costs one."""
    if not source_ids:
        return {}
    rows = raw.rows("SELECT source_id, due_at, interval_seconds, claimed_until, checked_at, result, detail, event_id, "
                    f"last_value, failures FROM source_check WHERE source_id IN ({', '.join('?' for _ in source_ids)})",
                    tuple(source_ids))
    now = now_seconds()
    return {int(source_id): {
        "nextCheckAt": _iso(due), "intervalSeconds": interval, "running": bool(claimed and claimed > now),
        "lastCheckedAt": _iso(checked), "result": result, "detail": detail, "eventId": event_id,
        "lastValue": value, "failures": int(failures or 0)}
        for source_id, due, interval, claimed, checked, result, detail, event_id, value, failures in rows}


def next_due() -> float | None:
    """When the next check comes due (paused integrations included), if any."""
    rows = raw.rows("SELECT MIN(due_at) FROM source_check")
    return float(rows[0][0]) if rows and rows[0][0] is not None else None


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    from datetime import datetime

    return datetime.fromtimestamp(float(seconds), tz=UTC).isoformat()
