"""From a verified push to source events: fanout, idempotency, tags and deletions (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

from eventhelp import deliver, make_integration, make_source, make_spaces, sha

from jolli.events.tables import EventJob, SourceEvent, WebhookDelivery
from jolli.provider import ZERO_SHA, CanonicalPush

REPO = "github.com/acme/app"


def push(after: str, ref: str = "refs/heads/main", before: str = sha(0), delivery: str = "d-1",
         repo: str = REPO, **kw: Any) -> CanonicalPush:
    return CanonicalPush(repo=repo, ref=ref, before=before, after=after, delivery_id=delivery, **kw)


def test_one_event_per_matching_source_with_its_sorted_spaces(org: Any, integration: Any) -> None:
    from jolli.store.models import Space, SpaceSource

    main = make_source(org, "main", REPO, "main")
    any_branch = make_source(org, "any", REPO, None)
    make_source(org, "other-branch", REPO, "dev")
    make_source(org, "disabled", REPO, "main", enabled=False)
    make_source(org, "other-repo", "github.com/acme/other", "main")
    spaces = [Space.create(org=org, name=f"s{i}") for i in range(5)]
    for space in (spaces[3], spaces[0], spaces[2]):  # bound out of order
        SpaceSource.create(space=space, source=main)
    SpaceSource.create(space=spaces[1], source=main, enabled=False)
    SpaceSource.create(space=spaces[4], source=main, jrn_pattern="jrn::path:/home/acme/sources/**/dev")
    SpaceSource.create(space=spaces[4], source=any_branch, jrn_pattern="jrn::path:/home/*/sources/**/main")

    result = deliver(integration, [push(sha(1), before=sha(7))])

    assert result.status == "accepted" and result.http_status == 202
    events = list(SourceEvent.select().order_by(SourceEvent.id))
    assert [e.source_id for e in events] == [main.id, any_branch.id]
    assert result.event_ids == [e.id for e in events]
    first, second = events
    assert first.affected_space_ids == sorted([spaces[0].id, spaces[2].id, spaces[3].id])
    assert second.affected_space_ids == [spaces[4].id]
    for event in events:
        assert event.event_jrn == f"jrn::path:/home/acme/sources/{REPO}/main"
        assert (event.head_sha, event.before_sha, event.branch, event.version) == (sha(1), sha(7), "main", 2)
    assert EventJob.select().count() == 2  # one job per event, not per space
    assert {j.event_id for j in EventJob.select()} == {first.id, second.id}


def test_a_duplicate_delivery_creates_nothing_with_the_same_or_a_new_delivery_id(org: Any, integration: Any) -> None:
    source = make_source(org, "app", REPO)
    make_spaces(org, source, 2)
    first = deliver(integration, [push(sha(1), delivery="d-1")])
    again = deliver(integration, [push(sha(1), delivery="d-1")])
    redelivered = deliver(integration, [push(sha(1), delivery="d-2")])
    other_integration = make_integration(org, name="second", owner="acme")
    via_other = deliver(other_integration, [push(sha(1), delivery="x-9")])

    assert first.status == "accepted"
    for result in (again, redelivered, via_other):
        assert result.status == "duplicate" and result.http_status == 202
        assert result.event_ids == [] and result.duplicate_event_ids == first.event_ids
    assert SourceEvent.select().count() == 1
    assert EventJob.select().count() == 1


def test_a_tag_push_is_recorded_and_ignored(org: Any, integration: Any) -> None:
    make_source(org, "app", REPO, None)
    result = deliver(integration, [push(sha(1), ref="refs/tags/v1.0")])
    assert result.status == "ignored" and result.http_status == 200
    assert "tag push" in (result.reason or "")
    assert SourceEvent.select().count() == 0 and EventJob.select().count() == 0
    delivery = WebhookDelivery.get()
    assert delivery.outcome == "ignored" and delivery.refs == [f"{REPO} refs/tags/v1.0"]


def test_a_branch_deletion_is_recorded_advances_nothing_and_queues_no_work(org: Any, integration: Any) -> None:
    source = make_source(org, "app", REPO)
    make_spaces(org, source, 2)
    result = deliver(integration, [push(ZERO_SHA, before=sha(5), deleted=True)])

    assert result.status == "ignored" and "deleted" in (result.reason or "")
    event = SourceEvent.get()
    assert result.recorded_event_ids == [event.id]
    assert event.kind == "delete" and event.status == "deleted" and event.affected_space_ids == []
    assert EventJob.select().count() == 0
    source = type(source).get_by_id(source.id)
    assert source.cursor_value is None and source.cursor_version == 0


def test_a_push_no_source_tracks_is_ignored(org: Any, integration: Any) -> None:
    make_source(org, "app", REPO, "main")
    result = deliver(integration, [push(sha(1), ref="refs/heads/feature")])
    assert result.status == "ignored" and "no enabled source" in (result.reason or "")
    assert SourceEvent.select().count() == 0


def test_the_same_push_stored_three_times_at_once_makes_one_event(org: Any, integration: Any) -> None:
    from jolli.store.db import database

    source = make_source(org, "app", REPO)
    make_spaces(org, source, 3)
    barrier = threading.Barrier(3)
    results: list[Any] = []
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            barrier.wait()
            results.append(deliver(integration, [push(sha(42), delivery=f"d-{n}")]))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert sorted(r.status for r in results) == ["accepted", "duplicate", "duplicate"]
    assert SourceEvent.select().count() == 1 and EventJob.select().count() == 1


def test_the_receiver_finds_its_source_by_index_among_thousands(org: Any, integration: Any) -> None:
    """A delivery reads one index entry, not every source of its org (migration 0004), on either store."""
    from jolli.events import store
    from jolli.store.db import database, is_postgres
    from jolli.store.models import Source
    from jolli.store.sql import rows

    with database.atomic():
        for i in range(3000):
            Source.create(org=org, name=f"other-{i}", type="git", repo=f"github.com/acme/Other-{i}", branch="main")
    target = make_source(org, "app", "github.com/Acme/App", "main")
    database.execute_sql("ANALYZE")
    explain = "EXPLAIN " if is_postgres() else "EXPLAIN QUERY PLAN "
    plan = rows(explain + store._BY_REPO, (True, org.id, True, "github.com/acme/app", "main"))
    assert "source_org_id_lower_repo" in " ".join(map(str, plan)), plan
    result = deliver(integration, [push(sha(1), repo="github.com/acme/APP")])
    assert result.status == "accepted"
    assert [e.source_id for e in SourceEvent.select().where(SourceEvent.id.in_(result.event_ids))] == [target.id]
