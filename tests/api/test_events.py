"""Seeing events over the API: lists, one event with its spaces, a space's audit, retries, legacy intake."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from apihelp import Api, answer_fits, assert_problem

sys.path.insert(0, str(Path(__file__).parents[1] / "events"))

from eventhelp import RecordingHook, deliver, make_integration, make_source, make_spaces, sha  # noqa: E402

from jolli.events.config import EventSettings  # noqa: E402
from jolli.events.worker import Worker  # noqa: E402
from jolli.provider import CanonicalPush  # noqa: E402

REPO = "github.com/acme/app"
SETTINGS = EventSettings(lease_seconds=5, backoff_seconds=0.01, backoff_max_seconds=0.01, max_attempts=2,
                         coalesce_seconds=0.0)


@pytest.fixture
def hook() -> Any:
    from jolli.testing.helpers import isolated_plugins

    with isolated_plugins() as plugins:
        recorder = RecordingHook()
        plugins.register(recorder, "recorder")
        yield recorder


def settle(worker: Worker) -> None:
    """Drain until no job is queued or running (retries here are due within milliseconds)."""
    import time

    from jolli.events.tables import EventJob

    for _ in range(200):
        worker.drain()
        if not EventJob.select().where(EventJob.status.in_(("queued", "running"))).exists():
            return
        time.sleep(0.01)
    raise AssertionError("jobs did not settle")


@pytest.fixture
def world(api: Api, hook: RecordingHook) -> dict[str, Any]:
    """acme's integration, one source bound to three spaces, and two processed pushes (space 2 fails)."""
    integration = make_integration(api.org)
    source = make_source(api.org, "app", REPO)
    spaces = make_spaces(api.org, source, 3)
    hook.fail_spaces = {spaces[1]: 100}
    worker = Worker(SETTINGS)
    first = deliver(integration, [CanonicalPush(REPO, "refs/heads/main", sha(0), sha(1), delivery_id="a")])
    settle(worker)
    second = deliver(integration, [CanonicalPush(REPO, "refs/heads/main", sha(1), sha(2), delivery_id="b")])
    settle(worker)
    deliver(integration, [CanonicalPush(REPO, "refs/tags/v1", sha(0), sha(2), delivery_id="c")])
    return {"integration": integration, "source": source, "spaces": spaces,
            "events": first.event_ids + second.event_ids}


def test_a_sources_events_newest_first_and_by_status(api: Api, world: dict[str, Any]) -> None:
    source = world["source"]
    body = api.get(f"/api/sources/{source.id}/events?order=desc").get_json()
    assert [e["id"] for e in body["items"]] == world["events"][::-1] and body["next"] is None
    event = body["items"][0]
    assert {"sourceId", "eventJrn", "headSha", "beforeSha", "branch", "affectedSpaceIds", "version"} <= set(event)
    assert (event["headSha"], event["beforeSha"], event["affectedSpaceIds"]) == (sha(2), sha(1), world["spaces"])
    assert event["status"] == "failed" and event["receivedAt"].endswith("+00:00")  # one time format (docs/api.md)
    page = api.get(f"/api/sources/{source.id}/events?limit=1").get_json()
    assert [e["id"] for e in page["items"]] == world["events"][:1] and page["next"] == world["events"][0]
    failed = api.get("/api/events?status=failed").get_json()["items"]
    assert [e["id"] for e in failed] == world["events"]


def test_one_event_shows_each_space_and_its_audit(api: Api, world: dict[str, Any]) -> None:
    s1, s2, s3 = world["spaces"]
    event = api.get(f"/api/events/{world['events'][1]}").get_json()
    assert [(s["spaceId"], s["status"]) for s in event["spaces"]] == [(s1, "processed"), (s2, "dead"), (s3, "processed")]
    assert f"space {s2} is broken" in event["spaces"][1]["reason"]
    assert [(a["spaceId"], a["outcome"], a["attempt"]) for a in event["audit"]] == [
        (s1, "processed", 1), (s2, "failed", 1), (s3, "processed", 1), (s2, "failed", 2)]
    assert event["jobs"][0]["status"] == "done"


def test_a_spaces_audit_trail(api: Api, world: dict[str, Any]) -> None:
    s2 = world["spaces"][1]
    rows = api.get(f"/api/spaces/{s2}/audit").get_json()["items"]
    assert [(r["eventId"], r["outcome"]) for r in rows] == [
        (world["events"][0], "failed"), (world["events"][0], "failed"),
        (world["events"][1], "failed"), (world["events"][1], "failed")]
    for row in rows:
        assert (row["spaceId"], row["sourceId"]) == (s2, world["source"].id)
        assert row["eventJrn"].endswith(f"/{REPO}/main") and row["headSha"] in (sha(1), sha(2))
    only = api.get(f"/api/spaces/{world['spaces'][0]}/audit?outcome=processed").get_json()["items"]
    assert len(only) == 2


def test_retry_by_command_processes_the_dead_letter(api: Api, world: dict[str, Any], hook: RecordingHook) -> None:
    s2 = world["spaces"][1]
    latest = world["events"][1]
    hook.fail_spaces = {}
    response = api.post(f"/api/events/{latest}/retry", {"spaceIds": [s2]})
    assert response.status_code == 202 and response.get_json()["spaceIds"] == [s2]
    Worker(SETTINGS).drain()
    event = api.get(f"/api/events/{latest}").get_json()
    assert event["status"] == "processed" and {s["status"] for s in event["spaces"]} == {"processed"}
    assert_problem(api.post(f"/api/events/{latest}/retry", {}), 400)  # nothing left to retry
    assert_problem(api.post(f"/api/events/{latest}/retry", {"spaceIds": [999]}), 400, "spaceIds")


def test_another_orgs_events_spaces_and_deliveries_are_404(api: Api, other_api: Api, world: dict[str, Any]) -> None:
    event_id = world["events"][0]
    for path in (f"/api/sources/{world['source'].id}/events", f"/api/events/{event_id}",
                 f"/api/spaces/{world['spaces'][0]}/audit",
                 f"/api/integrations/{world['integration'].id}/deliveries"):
        assert_problem(other_api.get(path), 404)
        assert api.get(path).status_code == 200
    assert_problem(other_api.post(f"/api/events/{event_id}/retry", {}), 404)
    assert other_api.get("/api/events").get_json()["items"] == []
    assert_problem(api.get("/api/events/99999"), 404)
    assert_problem(api.get(f"/api/events?sourceId={2**70}"), 400, "sourceId")


def test_deliveries_that_created_no_event_are_on_record(api: Api, world: dict[str, Any]) -> None:
    deliver(world["integration"], [CanonicalPush(REPO, "refs/heads/main", sha(0), sha(1), delivery_id="a2")])
    rows = api.get(f"/api/integrations/{world['integration'].id}/deliveries").get_json()["items"]
    assert [(r["deliveryId"], r["outcome"], r["eventIds"]) for r in rows] == [
        ("c", "ignored", []), ("a2", "duplicate", world["events"][:1])]
    assert "tag push" in rows[0]["reason"]
    events = api.get("/api/events").get_json()["items"]  # accepted deliveries are on record as their events
    assert [e["deliveryId"] for e in events] == ["a", "b"]


def test_legacy_jobs_are_accepted_during_the_rollout(api: Api, other_api: Api, hook: RecordingHook) -> None:
    integration = make_integration(api.org)
    source = make_source(api.org, "app", REPO)
    (space,) = make_spaces(api.org, source, 1)
    job = {"spaceId": space, "integrationId": integration.id, "sourceId": source.id, "killSandbox": False,
           "eventJrn": f"jrn::path:/home/acme/sources/{REPO}/main", "afterSha": sha(3)}
    response = api.post("/api/events/legacy-jobs", [job, job])
    assert response.status_code == 202 and len(response.get_json()["jobIds"]) == 2
    Worker(SETTINGS).drain()
    assert len(hook.calls) == 1  # two identical legacy jobs: one space, once
    assert_problem(api.post("/api/events/legacy-jobs", [job, {"spaceId": "x"}]), 400, "1.spaceId")
    assert_problem(other_api.post("/api/events/legacy-jobs", job), 404, "integrationId")
    assert_problem(api.post("/api/events/legacy-jobs"), 400)


def test_legacy_jobs_are_refused_across_orgs_and_for_unbound_sources(api: Api, other_api: Api) -> None:
    """Ids of another org answer 404 like missing ones; an unbound pair 400; nothing is queued."""
    from jolli.events.tables import EventJob

    integration = make_integration(api.org)
    source = make_source(api.org, "app", REPO)
    (space,) = make_spaces(api.org, source, 1)
    theirs = make_integration(other_api.org)
    their_source = make_source(other_api.org, "app", REPO)
    (their_space,) = make_spaces(other_api.org, their_source, 1)
    jrn = f"jrn::path:/home/acme/sources/{REPO}/main"
    job = {"spaceId": space, "integrationId": integration.id, "sourceId": source.id, "eventJrn": jrn,
           "afterSha": sha(1)}
    assert_problem(other_api.post("/api/events/legacy-jobs", {**job, "integrationId": theirs.id}), 404, "spaceId")
    assert_problem(other_api.post("/api/events/legacy-jobs", {**job, "integrationId": theirs.id,
                                                              "spaceId": their_space}), 404, "sourceId")
    assert_problem(api.post("/api/events/legacy-jobs", {**job, "spaceId": their_space}), 404, "spaceId")
    (unbound,) = make_spaces(api.org, make_source(api.org, "other", "github.com/acme/other"), 1)
    assert_problem(api.post("/api/events/legacy-jobs", {**job, "spaceId": unbound}), 400, "sourceId")
    assert not EventJob.select().exists()


@pytest.mark.parametrize(("field", "value"), [
    ("spaceId", 2**64), ("integrationId", 2**63), ("sourceId", -1), ("eventJrn", "x" * 900_000),
    ("afterSha", "a\x00b"), ("cursorSha", "\ud800"), ("eventJrn", ""), ("killSandbox", "yes"),
])
def test_a_legacy_job_outside_its_schema_is_400_naming_the_field(api: Api, field: str, value: Any) -> None:
    from jolli.events.tables import EventJob

    integration = make_integration(api.org)
    source = make_source(api.org, "app", REPO)
    (space,) = make_spaces(api.org, source, 1)
    job = {"spaceId": space, "integrationId": integration.id, "sourceId": source.id,
           "eventJrn": f"jrn::path:/home/acme/sources/{REPO}/main", field: value}
    assert_problem(api.post("/api/events/legacy-jobs", job), 400, field)
    assert not EventJob.select().exists()


def test_every_event_answer_fits_the_document(api: Api, world: dict[str, Any]) -> None:
    document = api.get("/api/openapi.json").get_json()
    source, space, latest = world["source"], world["spaces"][1], world["events"][-1]
    integration = world["integration"]
    calls = [
        ("/api/events", "get", api.get("/api/events?status=failed")),
        ("/api/sources/{source_id}/events", "get", api.get(f"/api/sources/{source.id}/events?order=desc&limit=1")),
        ("/api/events/{event_id}", "get", api.get(f"/api/events/{latest}")),
        ("/api/spaces/{space_id}/audit", "get", api.get(f"/api/spaces/{space}/audit")),
        ("/api/integrations/{integration_id}/deliveries", "get", api.get(f"/api/integrations/{integration.id}/deliveries")),
        ("/api/events/{event_id}/retry", "post", api.post(f"/api/events/{latest}/retry", {"spaceIds": [space]})),
        ("/api/events/{event_id}/retry", "post", api.post(f"/api/events/{latest}/retry", {"spaceIds": "x"})),
    ]
    for path, method, response in calls:
        answer_fits(document, path, method, response)
    detail = api.get(f"/api/events/{latest}").get_json()
    assert detail["jobs"] and detail["spaces"] and detail["audit"]
    assert all(t.endswith("+00:00") for t in (detail["receivedAt"], detail["jobs"][0]["runAfter"],
                                              detail["audit"][0]["createdAt"]))
