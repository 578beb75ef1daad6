"""Refused webhook deliveries, counted per integration, reason and hour (``webhook_refusal``, migration 0009).

A refusal adds one to its row by an upsert, so the table holds at most one row per integration, reason and
hour whatever a sender does; hours older than :data:`KEPT_HOURS` are deleted once an hour per process.
A flood costs the database at most one write transaction per :data:`FLUSH_SECONDS` per process: the first
refusal after a quiet second is written at once, the ones that follow are summed in memory and written by
a timer at the end of that second. Accepted deliveries never come here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from jolli.events.status import RefusalReason
from jolli.store import sql as raw
from jolli.store.db import database
from jolli.store.sql import write_tx

log = logging.getLogger(__name__)

#: At most one write of refusal counts per this many seconds per process.
FLUSH_SECONDS = 1.0
#: Hours of counts kept (the answer covers the last 24).
KEPT_HOURS = 48
#: Hours of counts in ``refusedDeliveries24h`` and ``refusedByReason24h``: this one and the 23 before it.
WINDOW_HOURS = 24

_lock = threading.Lock()
#: Counts not written yet, by (the database they are for, integration, reason, hour).
_pending: dict[tuple[object, int, str, int], int] = {}
_state = {"flushed": float("-inf"), "pruned_hour": -1}
_timer: list[threading.Timer] = []


def hour_of(seconds: float) -> int:
    """The hour a Unix time falls in, as stored (hours since 1970)."""
    return int(seconds // 3600)


def count(integration_id: int, reason: RefusalReason, now: float | None = None) -> None:
    """Count one refused delivery to ``integration_id`` (written now, or within :data:`FLUSH_SECONDS`)."""
    key = (database.obj, integration_id, str(reason), hour_of(time.time() if now is None else now))
    with _lock:
        _pending[key] = _pending.get(key, 0) + 1
        write_now = time.monotonic() - _state["flushed"] >= FLUSH_SECONDS
        if not write_now and not _timer:
            timer = threading.Timer(FLUSH_SECONDS, _flush_on_timer)
            timer.daemon = True
            _timer.append(timer)
            timer.start()
    if write_now:
        flush()


def flush() -> None:
    """Write the counts not written yet (one transaction), and delete old hours once an hour. Counts for a
    database no longer open (a test's, say) are dropped, and so are those of an integration deleted since."""
    current = database.obj
    with _lock:
        pending = {key[1:]: n for key, n in _pending.items() if key[0] is current}
        _pending.clear()
        _state["flushed"] = time.monotonic()
        _timer.clear()
    if not pending:
        return
    hour = max(key[2] for key in pending)
    try:
        with write_tx():
            for (integration_id, reason, at), refusals in pending.items():
                raw.execute(
                    "INSERT INTO webhook_refusal (integration_id, reason, hour, refusals) SELECT ?, ?, ?, ? "
                    "WHERE EXISTS (SELECT 1 FROM integration WHERE id = ?) "
                    "ON CONFLICT (integration_id, reason, hour) DO UPDATE SET "
                    "refusals = webhook_refusal.refusals + excluded.refusals",
                    (integration_id, reason, at, refusals, integration_id),
                )
            if hour != _state["pruned_hour"]:
                raw.execute("DELETE FROM webhook_refusal WHERE hour < ?", (hour - KEPT_HOURS,))
                _state["pruned_hour"] = hour
    except Exception as exc:  # noqa: BLE001 - counting a refusal must never turn it into a 500
        log.warning("refused deliveries not counted (%s: %s)", type(exc).__name__, exc)


def _flush_on_timer() -> None:
    try:
        flush()
    finally:
        if not database.is_closed():
            database.close()


def last_24h(integration_ids: Iterable[int], now: float | None = None) -> dict[int, dict[str, int]]:
    """``{integration_id: {reason: refusals}}`` over the last 24 hours (by the hour), for those refused any."""
    wanted = sorted(set(integration_ids))
    if not wanted:
        return {}
    since = hour_of(time.time() if now is None else now) - WINDOW_HOURS + 1
    found: dict[int, dict[str, int]] = {}
    for integration_id, reason, refusals in raw.rows(
            "SELECT integration_id, reason, SUM(refusals) FROM webhook_refusal WHERE hour >= ? AND integration_id "
            f"IN ({', '.join('?' for _ in wanted)}) GROUP BY integration_id, reason", (since, *wanted)):
        found.setdefault(int(integration_id), {})[str(reason)] = int(refusals)
    return found
