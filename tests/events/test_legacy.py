"""Legacy per-space jobs: processed under the same idempotency and cursor rules, alone or mixed with events."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from eventhelp import RecordingHook, deliver, git_repo, make_source, make_spaces, sha

from jolli.errors import InvalidInput
from jolli.events import legacy
from jolli.events.tables import EventJob, SourceEvent, SpaceAudit
from jolli.events.worker import Worker
from jolli.provider import CanonicalPush
from jolli.store.models import Source

REPO = "github.com/acme/app"
JRN = f"jrn::path:/home/acme/sources/{REPO}/main"


def legacy_job(integration: Any, space: int, **extra: Any) -> dict[str, Any]:
    return {"spaceId": space, "integrationId": integration.id, "eventJrn": JRN, "killSandbox": False, **extra}


def test_a_legacy_job_is_processed_as_an_event_with_one_space(
        org: Any, integration: Any, hook: RecordingHook, settings: Any) -> None:
    source = make_source(org, "app", REPO)
    s1, _s2 = make_spaces(org, source, 2)
    legacy.enqueue(legacy_job(integration, s1, sourceId=source.id, afterSha=sha(4), cursorSha=sha(3),
                              killSandbox=True), org_id=org.id)
    Worker(settings).drain()

    event = SourceEvent.get()
    assert (event.version, event.origin, event.affected_space_ids) == (1, "legacy", [s1])
    assert (event.head_sha, event.before_sha, event.event_jrn) == (sha(4), sha(3), JRN)
    assert hook.calls == [(event.id, s1, sha(4))]
    assert Source.get_by_id(source.id).cursor_value == sha(4)
    assert EventJob.get().status == "done"


def test_a_legacy_job_without_source_id_is_resolved_from_its_space_and_jrn(
        org: Any, integration: Any, hook: RecordingHook, settings: Any) -> None:
    source = make_source(org, "app", REPO, branch=None)
    (space,) = make_spaces(org, source, 1)
    jrn = f"jrn::path:/home/acme/sources/{REPO}/feature/x"
    legacy.enqueue({"spaceId": space, "integrationId": integration.id, "eventJrn": jrn, "killSandbox": False,
                    "afterSha": sha(8)}, org_id=org.id)
    Worker(settings).drain()
    event = SourceEvent.get()
    assert (event.source_id, event.branch, event.event_jrn) == (source.id, "feature/x", jrn)
    assert len(hook.calls) == 1


def test_a_legacy_job_without_after_sha_takes_the_branch_head_from_the_mirror(
        org: Any, integration: Any, hook: RecordingHook, settings: Any, tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "mirrors", REPO, commits=2)
    source = make_source(org, "app", REPO)
    (space,) = make_spaces(org, source, 1)
    legacy.enqueue(legacy_job(integration, space, sourceId=source.id), org_id=org.id)
    Worker(settings.with_(git_mirrors=str(tmp_path / "mirrors"))).drain()
    assert hook.calls[0][2] == repo.commits[-1]


@pytest.mark.parametrize("order", ["webhook-first", "legacy-first", "interleaved"])
def test_legacy_jobs_mixed_with_the_fanout_event_of_the_same_push_do_each_space_once(
        org: Any, integration: Any, hook: RecordingHook, settings: Any, order: str) -> None:
    source = make_source(org, "app", REPO)
    spaces = make_spaces(org, source, 3)
    push = CanonicalPush(repo=REPO, ref="refs/heads/main", before=sha(0), after=sha(1), delivery_id="d-1")
    worker = Worker(settings)

    def legacy_jobs(targets: list[int]) -> None:
        for space in targets:
            legacy.enqueue(legacy_job(integration, space, sourceId=source.id, afterSha=sha(1)), org_id=org.id)

    if order == "webhook-first":
        deliver(integration, [push])
        legacy_jobs(spaces + [spaces[0]])
    elif order == "legacy-first":
        legacy_jobs(spaces[:2] + [spaces[0]])
        worker.drain()
        assert deliver(integration, [push]).status == "accepted"  # merged into the legacy event
    else:
        legacy_jobs([spaces[0]])
        worker.drain()
        deliver(integration, [push])
        legacy_jobs(spaces[1:])
    worker.drain()

    assert SourceEvent.select().count() == 1
    event = SourceEvent.get()
    assert Counter(space for _, space, _ in hook.calls) == {s: 1 for s in spaces}
    processed = Counter(a.space_id for a in SpaceAudit.select().where(SpaceAudit.outcome == "processed"))
    assert processed == {s: 1 for s in spaces}
    assert SpaceAudit.select().where(SpaceAudit.outcome == "skipped-duplicate").count() >= 1
    assert Source.get_by_id(source.id).cursor_value == sha(1)
    assert event.affected_space_ids == spaces
    assert not EventJob.select().where(EventJob.status != "done").exists()


def test_an_unresolvable_legacy_job_is_dead_lettered_with_the_reason(
        org: Any, integration: Any, hook: RecordingHook, settings: Any) -> None:
    source = make_source(org, "app", REPO)
    (space,) = make_spaces(org, source, 1)
    legacy.enqueue(legacy_job(integration, space, sourceId=source.id, afterSha=sha(1)), org_id=org.id)
    Source.update(repo="github.com/acme/elsewhere").where(Source.id == source.id).execute()
    Worker(settings).drain()
    job = EventJob.get()
    assert job.status == "dead" and f"no source bound to space {space} has pushes with JRN" in job.last_error
    assert hook.calls == []


def test_a_malformed_legacy_job_is_refused_naming_its_fields(org: Any, integration: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        legacy.enqueue({"spaceId": "7", "eventJrn": JRN, "extra": 1}, org_id=org.id)
    assert {"spaceId", "integrationId", "extra"} <= set(info.value.fields)
