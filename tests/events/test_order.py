"""Order from evidence: with no mirror and no provider, the pushes themselves keep the cursor from moving back.

Every permutation of the deliveries of a 6-push history, delivered one at a time with the worker running
in between, ends with the cursor at the last head, and no cursor history row ever moves back. Each
permutation gets its own source, so all 720 run in one database, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from eventhelp import deliver, history, make_integration, make_org, make_source, sha

from jolli.events.tables import EventJob, SourceEvent
from jolli.events.worker import Worker
from jolli.provider import CanonicalPush
from jolli.store.models import Source, utcnow

LINEAR = [(sha(n), sha(n + 1), False) for n in range(6)]
#: C0 -> C1 -> C2 -> C3, then a force push to X4 (not built on C3), then X4 -> X5 -> X6.
FORCED = [(sha(0), sha(1), False), (sha(1), sha(2), False), (sha(2), sha(3), False),
          (sha(3), sha(0x40), True), (sha(0x40), sha(0x50), False), (sha(0x50), sha(0x60), False)]


def _settle(worker: Worker, deadline: float) -> None:
    while time.monotonic() < deadline:
        worker.drain()
        if not EventJob.select().where(EventJob.status.in_(("queued", "running"))).exists():
            return
        time.sleep(0.05)
    raise AssertionError("jobs did not settle")


@pytest.mark.slow
@pytest.mark.parametrize("pushes", [LINEAR, FORCED], ids=["linear", "force-push"])
def test_every_delivery_order_ends_at_the_last_head_and_never_moves_back(
        db: object, settings: Any, pushes: list[tuple[str, str, bool]]) -> None:
    org = make_org("acme")
    integration = make_integration(org)
    orders = list(itertools.permutations(range(len(pushes))))
    sources = [make_source(org, f"p{i}", f"github.com/acme/p{i}") for i in range(len(orders))]
    # Held events are looked at again only once every push is in (no retry storm while they arrive).
    worker = Worker(settings.with_(order_wait_seconds=600.0, order_retry_seconds=3600.0))
    for step in range(len(pushes)):
        for source, order in zip(sources, orders, strict=True):
            before, after, forced = pushes[order[step]]
            result = deliver(integration, [CanonicalPush(source.repo, "refs/heads/main", before, after, forced=forced,
                                                         delivery_id=f"{source.id}-{step}")])
            assert result.status == "accepted", result.reason
        worker.drain()
    EventJob.update(run_after=utcnow()).where(EventJob.status == "queued").execute()  # their retry is due
    _settle(worker, time.monotonic() + 120)
    rank = {after: n for n, (_, after, _) in enumerate(pushes)}
    last = pushes[-1][1]
    for source, order in zip(sources, orders, strict=True):
        assert Source.get_by_id(source.id).cursor_value == last, (order, source.id)
        moves = [(rank.get(h.old_value, -1), rank[h.new_value]) for h in history(source.id)]
        assert all(new > old for old, new in moves), (order, moves)
    assert not SourceEvent.select().where(SourceEvent.order_assumed == True).exists()  # noqa: E712
