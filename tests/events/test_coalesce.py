"""Bursts coalesce: the newest head of a branch is processed, the older waiting events become stale skips."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from eventhelp import RecordingHook, deliver, make_source, make_spaces, sha

from jolli.events.tables import EventJob, EventSpace, SourceEvent
from jolli.events.worker import run_workers
from jolli.provider import CanonicalPush
from jolli.store.db import database
from jolli.store.models import Source


def test_a_burst_of_100_pushes_runs_each_spaces_hook_at_most_twice(
        org: Any, integration: Any, hook: RecordingHook, settings: Any) -> None:
    source = make_source(org, "app", "github.com/acme/app")
    spaces = make_spaces(org, source, 10)
    stop = threading.Event()
    workers = threading.Thread(target=run_workers, args=(settings.with_(coalesce_seconds=1.0), 2, stop),
                               daemon=True)
    workers.start()
    try:
        for n in range(100):  # about 2 s of pushes while the workers run
            result = deliver(integration, [CanonicalPush(source.repo, "refs/heads/main", sha(n), sha(n + 1))])
            assert result.status == "accepted"
            time.sleep(0.02)
        database.close()
        deadline = time.monotonic() + 30
        while EventJob.select().where(EventJob.status.in_(("queued", "running"))).exists():
            assert time.monotonic() < deadline, "the burst was not worked off"
            time.sleep(0.1)
    finally:
        stop.set()
        workers.join(30)
    newest = SourceEvent.get(SourceEvent.head_sha == sha(100))
    assert Source.get_by_id(source.id).cursor_value == sha(100)
    assert {s.space_id for s in EventSpace.select().where(EventSpace.event == newest.id,
                                                          EventSpace.status == "processed")} == set(spaces)
    runs = Counter(space for _, space, _ in hook.calls)
    assert set(runs) == set(spaces) and max(runs.values()) <= 2, runs
    skipped = SourceEvent.select().where(SourceEvent.status == "stale").count()
    assert skipped >= 98 and "superseded by event" in (
        EventSpace.get(EventSpace.status == "skipped-stale").reason or "")
