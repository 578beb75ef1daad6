"""Webhook health: is an integration's webhook delivering, or do jolli's own checks find what it misses?

Per integration: the time of its last verified delivery (its newest webhook event, or its newest recorded
delivery that created none), the pushes of the last 24 hours that only a check found (a **webhook gap**:
a ``poll`` or ``manual`` event that no webhook repeated within ``JOLLI_WEBHOOK_GRACE`` seconds), and any
pause of its checks, and the deliveries it refused in the last 24 hours by reason (counted per hour by
:mod:`jolli.events.refusals`; deliveries to an integration id that does not exist are not counted). A gap
makes the status ``degraded``, with the fix in words; refusals alone do not (anyone can send a forged
delivery), but they are named in the fix of a gap, since a secret set on one side only causes both.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from jolli.events import checks, refusals
from jolli.events.status import Origin
from jolli.events.tables import SourceEvent
from jolli.store import sql as raw
from jolli.store.models import utcnow

#: How far back webhook gaps are counted.
GAP_WINDOW = timedelta(hours=24)
#: At most this many gaps are listed (all are counted).
GAPS_LISTED = 10

_CHECKED = f"('{Origin.POLL}', '{Origin.MANUAL}')"


def _when(value: Any) -> datetime | None:
    return SourceEvent.received_at.python_value(value) if value is not None else None


def last_deliveries(integration_ids: Iterable[int]) -> dict[int, datetime]:
    """The last verified delivery of each integration that had one (two indexed lookups each)."""
    found: dict[int, datetime] = {}
    for integration_id in sorted(set(integration_ids)):
        times = [
            _when(raw.rows(f"SELECT MAX(received_at) FROM source_event WHERE integration_id = ? AND origin = "
                           f"'{Origin.WEBHOOK}'", (integration_id,))[0][0]),
            _when(raw.rows("SELECT MAX(received_at) FROM webhook_delivery WHERE integration_id = ?",
                           (integration_id,))[0][0]),
        ]
        latest = max((t for t in times if t is not None), default=None)
        if latest is not None:
            found[integration_id] = latest
    return found


def webhook_health(integration_id: int, grace_seconds: float, webhook_url: str | None = None) -> dict[str, Any]:
    """The webhook health of one integration, as the API and the CLI show it."""
    now = utcnow()
    since, until = raw.naive(now - GAP_WINDOW), raw.naive(now - timedelta(seconds=grace_seconds))
    where = (f"FROM source_event WHERE integration_id = ? AND origin IN {_CHECKED} AND webhook_at IS NULL "
             "AND received_at >= ? AND received_at <= ?")
    count = int(raw.rows(f"SELECT COUNT(*) {where}", (integration_id, since, until))[0][0])
    listed = raw.rows(f"SELECT id, repo, branch, head_sha, received_at {where} ORDER BY received_at DESC "
                      f"LIMIT {GAPS_LISTED}", (integration_id, since, until))
    last = last_deliveries([integration_id]).get(integration_id)
    _, paused_until, pause_reason = checks.integration_settings([integration_id]).get(integration_id, (None,) * 3)
    paused = paused_until is not None and paused_until > checks.now_seconds()
    refused = refusals.last_24h([integration_id]).get(integration_id, {})
    body: dict[str, Any] = {
        "status": "degraded" if count else "ok",
        "lastVerifiedDeliveryAt": _iso(last),
        "refusedDeliveries24h": sum(refused.values()),
        "refusedByReason24h": refused,
        "webhookGaps24h": count,
        "webhookGaps": [{"eventId": int(i), "repo": r, "branch": b, "headSha": h, "foundAt": _iso(_when(t))}
                        for i, r, b, h, t in listed],
        "checksPausedUntil": checks._iso(paused_until) if paused else None,
        "checksPauseReason": pause_reason if paused else None,
        "fix": None,
    }
    if count:
        where_to = f" to {webhook_url}" if webhook_url else ""
        body["fix"] = (f"{count} push(es) in the last 24 h reached jolli only through its own checks: the provider's "
                       f"webhook is not delivering. Check the hook on the provider: its URL must point{where_to}, "
                       "its secret must equal this integration's webhookSecret, and it must send push events; "
                       "the provider's delivery log says why deliveries failed.")
        if refused:
            named = ", ".join(f"{n} {reason}" for reason, n in sorted(refused.items()))
            body["fix"] += f" jolli refused {sum(refused.values())} delivery(ies) in the last 24 h ({named})."
    return body


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
