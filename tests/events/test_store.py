"""The one write path's guarantees that hold whatever wrote the event (SQLite and PostgreSQL): a queued push
has its job, made by the database in the same statement; and a change is never stored as received later
than it was stored, so its job is due at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from eventhelp import deliver, make_source, sha

from jolli.events import jobs
from jolli.events.status import EventKind, EventStatus, JobKind, JobStatus, Origin
from jolli.events.tables import EventJob, SourceEvent
from jolli.provider import CanonicalPush
from jolli.store.models import utcnow

REPO = "github.com/acme/app"


def push(after: str, delivery: str = "d-1", **kw: Any) -> CanonicalPush:
    return CanonicalPush(repo=REPO, ref="refs/heads/main", before=sha(0), after=after, delivery_id=delivery, **kw)


def test_a_queued_push_gets_its_job_from_the_statement_that_inserts_it(org: Any) -> None:
    source = make_source(org, "app", REPO, "main")
    received = utcnow() - timedelta(minutes=3)
    event = SourceEvent.create(org=org, source=source, event_jrn="jrn::x", head_sha=sha(1), branch="main",
                               received_at=received)  # no jolli code involved: a plain insert
    job = EventJob.get(EventJob.event == event.id)
    assert (job.kind, job.status, job.dedupe_key, job.source_id, job.branch_key) == (
        JobKind.EVENT, JobStatus.QUEUED, f"event:{event.id}", source.id, "main")
    assert job.run_after == job.created_at == received
    assert jobs.claim("w1", 30).id == job.id  # due: the worker takes it


@pytest.mark.parametrize("fields", [
    {"kind": EventKind.DELETE, "status": EventStatus.DELETED},  # a deleted branch queues no work
    {"origin": Origin.LEGACY},  # a legacy per-space job is its own job
    {"status": EventStatus.PROCESSED},  # history, not work
], ids=["delete", "legacy", "processed"])
def test_events_that_are_not_queued_pushes_get_no_job(org: Any, fields: dict[str, Any]) -> None:
    source = make_source(org, "app", REPO, "main")
    SourceEvent.create(org=org, source=source, event_jrn="jrn::x", head_sha=sha(1), branch="main", **fields)
    assert EventJob.select().count() == 0


def test_a_push_dated_in_the_future_is_stored_as_received_now_and_is_due_at_once(org: Any, integration: Any
                                                                                  ) -> None:
    make_source(org, "app", REPO, "main")
    before = utcnow()
    future = before + timedelta(days=1)  # a provider plugin's clock, or a date taken from the payload
    result = deliver(integration, [push(sha(1), received_at=future)])
    event = SourceEvent.get_by_id(result.event_ids[0])
    assert before <= event.received_at <= utcnow()
    claimed = jobs.claim("w1", 30)
    assert claimed is not None and claimed.event_id == event.id


def test_a_duplicate_of_a_push_stored_alone_makes_no_second_job(org: Any, integration: Any) -> None:
    make_source(org, "app", REPO, "main")
    first = deliver(integration, [push(sha(1))])
    again = deliver(integration, [push(sha(1), "d-2")])
    assert (first.status, again.status) == ("accepted", "duplicate")
    assert again.duplicate_event_ids == first.event_ids
    assert [j.event_id for j in EventJob.select()] == first.event_ids


def test_a_source_deleted_while_its_push_is_stored_makes_the_delivery_ignored(org: Any, integration: Any,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from jolli.events import store
    from jolli.store.models import Space, SpaceSource

    source = make_source(org, "app", REPO, "main")
    # a binding with a pattern: the receiver finds the source first, then stores its event (both stores)
    SpaceSource.create(space=Space.create(org=org, name="docs"), source=source, jrn_pattern="jrn:*:path:/**")
    found = store._plan

    def then_deleted(*args: Any) -> Any:
        planned = found(*args)
        if source.id in [p.source_id for p in planned]:
            source.delete_instance(recursive=True)  # someone deletes the source at that moment
        return planned

    monkeypatch.setattr(store, "_plan", then_deleted)
    result = deliver(integration, [push(sha(1))])
    assert (result.status, result.http_status) == ("ignored", 200)
    assert result.reason == f"no enabled source tracks {REPO} branch main"
    assert SourceEvent.select().count() == EventJob.select().count() == 0
