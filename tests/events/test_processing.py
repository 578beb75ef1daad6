"""The worker in one process: ascending spaces, audit, retries, dead letters, stale skips, leases."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
import responses
from eventhelp import (
    RecordingHook,
    git_repo,
    history,
    make_integration,
    make_source,
    make_spaces,
    observe,
    sha,
)

from jolli import hookimpl
from jolli.events import jobs, leases
from jolli.events.retry import retry_event
from jolli.events.tables import CursorHistory, EventJob, EventSpace, SourceEvent, SpaceAudit
from jolli.events.worker import Worker
from jolli.store.models import Source, Space, SpaceSource

REPO = "github.com/acme/app"
JRN = f"jrn::path:/home/acme/sources/{REPO}/main"


def queue_push(source: Any, head: str, before: str | None = None) -> SourceEvent:
    """Store the event (and its job) a webhook for ``head`` would have stored."""
    return SourceEvent.get_by_id(observe(source, head, before))


def drain_until_settled(worker: Worker, rounds: int = 200) -> None:
    """Run the worker until no job is queued or running (retries are due within a fraction of a second)."""
    for _ in range(rounds):
        worker.drain()
        if not EventJob.select().where(EventJob.status.in_(("queued", "running"))).exists():
            return
        time.sleep(0.02)
    raise AssertionError(f"jobs did not settle: {jobs.counts()}")


def outcomes(event: SourceEvent) -> list[tuple[int, str, int]]:
    return [(a.space_id, a.outcome, a.attempt) for a in SpaceAudit.select().where(SpaceAudit.event == event.id)
            .order_by(SpaceAudit.id)]


def test_spaces_are_processed_once_in_ascending_order_with_audit_and_log_keys(
        org: Any, hook: RecordingHook, settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    source = make_source(org, "app", REPO)
    spaces = [Space.create(org=org, name=f"s{i}") for i in range(4)]
    for space in reversed(spaces):
        SpaceSource.create(space=space, source=source)
    event = queue_push(source, sha(1))
    caplog.set_level(logging.INFO, logger="jolli.events")

    Worker(settings).drain()

    ids = [s.id for s in spaces]
    assert [space for _, space, _ in hook.calls] == ids
    rows = list(SpaceAudit.select().where(SpaceAudit.event == event.id).order_by(SpaceAudit.id))
    assert [(r.space_id, r.outcome, r.source_id, r.event_jrn, r.head_sha) for r in rows] == [
        (i, "processed", source.id, JRN, sha(1)) for i in ids
    ]
    for space_id in ids:
        line = next(r.getMessage() for r in caplog.records if f"spaceId={space_id} " in r.getMessage())
        for key in (f"sourceId={source.id}", f"eventJrn={JRN}", f"headSha={sha(1)}", "outcome=processed"):
            assert key in line
    assert SourceEvent.get_by_id(event.id).status == "processed"
    assert Source.get_by_id(source.id).cursor_value == sha(1)
    assert [(h.version, h.old_value, h.new_value, h.event_id) for h in CursorHistory.select()] == [
        (1, None, sha(1), event.id)
    ]
    # The built-in record_changes plugin ran too: its detail is part of the outcome.
    detail = EventSpace.get(EventSpace.space_id == ids[0]).detail
    assert {"seen": sha(1)} in detail and any(isinstance(d, dict) and "files" in d for d in detail)


def test_a_failing_space_is_retried_with_backoff_without_blocking_the_others(
        org: Any, hook: RecordingHook, settings: Any) -> None:
    source = make_source(org, "app", REPO)
    s1, s2, s3 = make_spaces(org, source, 3)
    hook.fail_spaces = {s2: 1}
    event = queue_push(source, sha(1))
    worker = Worker(settings)

    worker.drain()
    assert [space for _, space, _ in hook.calls] == [s1, s3]
    job = EventJob.get()
    assert job.status == "queued" and job.run_after > EventSpace.get(EventSpace.space_id == s2).updated_at
    assert Source.get_by_id(source.id).cursor_value == sha(1)  # the first pass moved the cursor

    drain_until_settled(worker)
    assert [space for _, space, _ in hook.calls] == [s1, s3, s2]
    assert outcomes(event) == [(s1, "processed", 1), (s2, "failed", 1), (s3, "processed", 1), (s2, "processed", 2)]
    failed = SpaceAudit.get(SpaceAudit.outcome == "failed")
    assert f"space {s2} is broken" in failed.reason
    assert SourceEvent.get_by_id(event.id).status == "processed"


def test_the_last_failed_attempt_is_a_dead_letter_and_retry_brings_it_back(
        org: Any, hook: RecordingHook, settings: Any) -> None:
    source = make_source(org, "app", REPO)
    s1, s2 = make_spaces(org, source, 2)
    hook.fail_spaces = {s2: 100}
    event = queue_push(source, sha(1))
    worker = Worker(settings)

    drain_until_settled(worker)
    state = EventSpace.get(EventSpace.space_id == s2)
    assert state.status == "dead" and state.attempts == settings.max_attempts
    assert "dead letter" in state.reason
    assert SourceEvent.get_by_id(event.id).status == "failed"
    assert [o for o in outcomes(event) if o[0] == s2] == [(s2, "failed", n) for n in (1, 2, 3)]

    hook.fail_spaces = {}
    queued = retry_event(SourceEvent.get_by_id(event.id))
    assert queued["spaceIds"] == [s2]
    drain_until_settled(worker)
    assert EventSpace.get(EventSpace.space_id == s2).status == "processed"
    assert SourceEvent.get_by_id(event.id).status == "processed"
    assert [space for _, space, _ in hook.calls] == [s1, s2]  # s1 was not done again
    # the cursor reached the head once: the retry records no second move to the same commit
    assert [(h.old_value, h.new_value) for h in history(source.id)] == [(None, sha(1))]


def test_an_event_whose_head_is_the_cursor_is_skipped_as_stale(org: Any, hook: RecordingHook, settings: Any) -> None:
    source = make_source(org, "app", REPO, cursor_value=sha(5), cursor_version=3)
    (space,) = make_spaces(org, source, 1)
    event = queue_push(source, sha(5))
    Worker(settings).drain()
    assert hook.calls == []
    assert outcomes(event) == [(space, "skipped-stale", 1)]
    assert "head equals the cursor" in SpaceAudit.get().reason
    assert SourceEvent.get_by_id(event.id).status == "stale"
    assert Source.get_by_id(source.id).cursor_version == 3


def test_an_older_commit_delivered_late_is_skipped_by_git_ancestry(
        org: Any, hook: RecordingHook, settings: Any, tmp_path: Path) -> None:
    mirrors = tmp_path / "mirrors"
    repo = git_repo(mirrors, REPO, commits=3)
    c1, c2, c3 = repo.commits
    source = make_source(org, "app", REPO)
    (space,) = make_spaces(org, source, 1)
    worker = Worker(settings.with_(git_mirrors=str(mirrors)))

    newest = queue_push(source, c3, before=c2)
    worker.drain()
    late = queue_push(source, c1)  # received after c3: push order alone would process it
    worker.drain()

    assert [head for _, _, head in hook.calls] == [c3]
    assert outcomes(late) == [(space, "skipped-stale", 1)]
    assert "ancestor" in SpaceAudit.get(SpaceAudit.event == late.id).reason
    assert Source.get_by_id(source.id).cursor_value == c3
    first_files = hook.changes[(newest.id, space)].files
    assert set(first_files) == {"file0.txt", "file1.txt", "file2.txt"}  # first event: every file at head


def test_changes_are_the_files_between_the_cursor_and_the_head(
        org: Any, hook: RecordingHook, settings: Any, tmp_path: Path) -> None:
    mirrors = tmp_path / "mirrors"
    repo = git_repo(mirrors, REPO, commits=1)
    source = make_source(org, "app", REPO, cursor_value=repo.commits[0], cursor_version=1)
    (space,) = make_spaces(org, source, 1)
    repo.commit("docs.md")
    head = repo.commit("README.md")
    event = queue_push(source, head)
    Worker(settings.with_(git_mirrors=str(mirrors))).drain()
    changes = hook.changes[(event.id, space)]
    assert (changes.relation, set(changes.files)) == ("ahead", {"docs.md", "README.md"})


def test_a_force_push_that_diverges_is_ordered_by_its_push(
        org: Any, hook: RecordingHook, settings: Any, tmp_path: Path) -> None:
    mirrors = tmp_path / "mirrors"
    repo = git_repo(mirrors, REPO, commits=2)
    c1, c2 = repo.commits
    repo.git("reset", "-q", "--hard", c1)
    rewritten = repo.commit("other.txt")  # diverged from c2
    source = make_source(org, "app", REPO)
    (space,) = make_spaces(org, source, 1)
    worker = Worker(settings.with_(git_mirrors=str(mirrors)))
    queue_push(source, c2)
    worker.drain()
    forced = queue_push(source, rewritten, before=c2)
    worker.drain()
    assert [head for _, _, head in hook.calls] == [c2, rewritten]
    assert Source.get_by_id(source.id).cursor_value == rewritten
    assert hook.changes[(forced.id, space)].relation == "diverged"


def test_an_event_no_evidence_orders_is_held_then_applied_marked_order_assumed(
        org: Any, hook: RecordingHook, settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    source = make_source(org, "app", REPO)
    (space,) = make_spaces(org, source, 1)
    first = queue_push(source, sha(1))  # no before, no commits, no mirror, no provider: nothing orders them
    worker = Worker(settings)
    worker.drain()
    unordered = queue_push(source, sha(7))
    worker.drain()
    job = EventJob.get(EventJob.event == unordered.id)
    assert job.status == "queued" and "waiting for order evidence" in job.last_error
    assert [head for _, _, head in hook.calls] == [sha(1)] and outcomes(unordered) == []
    time.sleep(settings.order_wait_seconds)
    with caplog.at_level("INFO", logger="jolli.events"):
        drain_until_settled(worker)
    assert [head for _, _, head in hook.calls] == [sha(1), sha(7)]
    assert SourceEvent.get_by_id(unordered.id).order_assumed and not SourceEvent.get_by_id(first.id).order_assumed
    assert "orderAssumed" in SpaceAudit.get(SpaceAudit.event == unordered.id).reason
    assert any("orderAssumed=true" in r.getMessage() for r in caplog.records)
    assert Source.get_by_id(source.id).cursor_value == sha(7)


def test_a_late_push_is_stale_by_the_push_chain_with_no_mirror_and_no_provider(
        org: Any, hook: RecordingHook, settings: Any) -> None:
    """The README's scenario: C3->C4 is processed, then the older C2->C3 arrives late."""
    source = make_source(org, "app", REPO, cursor_value=sha(3), cursor_version=1)
    (space,) = make_spaces(org, source, 1)
    worker = Worker(settings)
    newer = queue_push(source, sha(4), before=sha(3))
    worker.drain()
    late = queue_push(source, sha(3), before=sha(2))
    drain_until_settled(worker)
    assert [head for _, _, head in hook.calls] == [sha(4)]
    assert outcomes(late) == [(space, "skipped-stale", 1)]
    assert "push chain" in SpaceAudit.get(SpaceAudit.event == late.id).reason
    assert Source.get_by_id(source.id).cursor_value == sha(4)
    assert [h.new_value for h in history(source.id)] == [sha(4)]
    assert outcomes(newer) == [(space, "processed", 1)]


@responses.activate
def test_the_provider_compare_api_tells_an_older_head(org: Any, hook: RecordingHook, settings: Any) -> None:
    integration = make_integration(org, access_token="tok-123")
    source = make_source(org, "app", REPO, integration=integration, cursor_value=sha(9), cursor_version=1)
    (space,) = make_spaces(org, source, 1)
    responses.get(f"https://api.github.com/repos/acme/app/compare/{sha(9)}...{sha(3)}",
                  json={"status": "behind", "ahead_by": 0, "behind_by": 4, "files": []})
    responses.get(f"https://api.github.com/repos/acme/app/compare/{sha(9)}...{sha(11)}",
                  json={"status": "ahead", "ahead_by": 2, "behind_by": 0, "files": [{"filename": "a.md"}]})
    older = queue_push(source, sha(3))
    newer = queue_push(source, sha(11))
    Worker(settings).drain()
    assert outcomes(older) == [(space, "skipped-stale", 1)]
    assert "(provider)" in SpaceAudit.get(SpaceAudit.event == older.id).reason
    assert outcomes(newer) == [(space, "processed", 1)]
    assert hook.changes[(newer.id, space)].files == ("a.md",)
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok-123"


def test_a_source_branch_leased_by_another_worker_waits(org: Any, hook: RecordingHook, settings: Any) -> None:
    source = make_source(org, "app", REPO)
    make_spaces(org, source, 1)
    queue_push(source, sha(1))
    assert leases.acquire(source.id, "main", "someone-else", 30)

    results = Worker(settings).drain()
    assert results == [] and hook.calls == []  # the job is not even claimable while the lease lives
    assert EventJob.get().status == "queued"

    leases.release(source.id, "main", "someone-else")
    Worker(settings).drain()
    assert len(hook.calls) == 1


def test_a_job_whose_worker_died_is_taken_over_once_its_lease_expires(
        org: Any, hook: RecordingHook, settings: Any) -> None:
    source = make_source(org, "app", REPO)
    s1, s2 = make_spaces(org, source, 2)
    event = queue_push(source, sha(1))
    # A worker claims the job, takes the lease, processes nothing, and dies (never renews).
    job = jobs.claim("dead-worker", lease_seconds=0.3)
    assert job is not None and leases.acquire(source.id, "main", "dead-worker", 0.3)
    worker = Worker(settings)
    assert worker.drain() == []  # still claimed
    time.sleep(0.35)
    results = worker.drain()
    assert [r.state for r in results] == ["done"]
    assert EventJob.get_by_id(job.id).takeovers == 1
    assert outcomes(event) == [(s1, "processed", 1), (s2, "processed", 1)]


def test_a_worker_that_lost_its_lease_cannot_fence(org: Any, settings: Any) -> None:
    source = make_source(org, "app", REPO)
    assert leases.acquire(source.id, "main", "slow", 0.2)
    time.sleep(0.25)
    assert leases.acquire(source.id, "main", "fast", 30)
    assert not leases.fence(source.id, "main", "slow", 30)
    assert not leases.acquire(source.id, "main", "slow", 30)
    assert leases.fence(source.id, "main", "fast", 30)


def utc_in(seconds: float) -> Any:
    from datetime import timedelta

    from jolli.store.models import utcnow

    return utcnow() + timedelta(seconds=seconds)


class WritingHook:
    """A hook that writes to jolli's database, and fails after writing for one space."""

    def __init__(self, failing: int) -> None:
        self.failing = failing

    @hookimpl
    def jolli_process_space(self, space_id: int, event: Any, changes: Any) -> None:
        from jolli.store.models import Org

        Org.create(name=f"hook-{event.id}-{space_id}")
        if space_id == self.failing:
            raise RuntimeError("failed after writing")


def test_a_hook_that_fails_after_writing_has_its_writes_rolled_back_alone(
        org: Any, plugins: Any, settings: Any) -> None:
    from jolli.store.models import Org

    source = make_source(org, "app", REPO)
    s1, s2, s3 = make_spaces(org, source, 3)
    assert plugins.register(WritingHook(failing=s2), "writing-hook")
    event = queue_push(source, sha(1))
    Worker(settings.with_(max_attempts=1)).drain()
    names = sorted(o.name for o in Org.select().where(Org.name.startswith("hook-")))
    assert names == [f"hook-{event.id}-{s1}", f"hook-{event.id}-{s3}"]  # each once; the failed one's undone
    assert outcomes(event) == [(s1, "processed", 1), (s2, "failed", 1), (s3, "processed", 1)]
