"""``POST /api/sources/:id/sync``, a source's check state, intervals, and an integration's webhook health."""

from __future__ import annotations

import hashlib
import hmac
import sys
import time
from pathlib import Path
from typing import Any

import responses
from apihelp import Api, assert_problem
from flask import Flask

sys.path.insert(0, str(Path(__file__).parents[1] / "events"))
from checkhelp import BranchApi, PypiType  # noqa: E402
from eventhelp import deliver, sha  # noqa: E402


def _git_source(api: Api, cursor: str | None = sha(1)) -> tuple[dict[str, Any], dict[str, Any]]:
    integration = api.created("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme",
                                                     "webhookSecret": "s3cret-for-tests", "name": "gh"})
    source = api.created("/api/sources", {"name": "app", "type": "git", "repo": "github.com/acme/app",
                                          "branch": "main", "integrationId": integration["id"]})
    if cursor:
        assert api.patch(f"/api/sources/{source['id']}/cursor", {"value": cursor}).status_code == 200
    return integration, source


@responses.activate
def test_sync_of_a_git_source_stores_the_new_head_as_a_manual_event_then_says_unchanged(api: Api) -> None:
    _, source = _git_source(api)
    branch = BranchApi()
    branch.add("github", "github.com/acme/app", sha(2))
    found = api.post(f"/api/sources/{source['id']}/sync")
    assert found.status_code == 200, found.get_json()
    body = found.get_json()
    assert (body["result"], body["head"], body["origin"]) == ("changed", sha(2), "manual")
    event = api.get(f"/api/events/{body['eventId']}").get_json()
    assert (event["origin"], event["headSha"], event["beforeSha"]) == ("manual", sha(2), sha(1))
    listed = api.get("/api/events?origin=manual").get_json()["items"]
    assert [e["id"] for e in listed] == [body["eventId"]]

    again = api.post(f"/api/sources/{source['id']}/sync").get_json()
    assert (again["result"], again["head"], again["eventId"]) == ("unchanged", sha(2), None)
    assert branch.statuses() == [200, 304]
    check = api.get(f"/api/sources/{source['id']}").get_json()["check"]
    assert check["result"] == "unchanged" and check["lastCheckedAt"] and check["nextCheckAt"] > check["lastCheckedAt"]


def test_a_file_source_needs_the_cursor_read_from_its_mount(api: Api) -> None:
    source = api.created("/api/sources", {"name": "notes", "type": "file"})
    refused = api.post(f"/api/sources/{source['id']}/sync")
    assert_problem(refused, 422, "cursor", "jolli source sync notes")
    reported = api.post(f"/api/sources/{source['id']}/sync", {"cursor": "sha256:" + "a" * 64}).get_json()
    assert reported["result"] == "changed" and reported["eventId"]
    assert api.get(f"/api/events/{reported['eventId']}").get_json()["origin"] == "manual"
    same = api.post(f"/api/sources/{source['id']}/sync", {"cursor": "sha256:" + "a" * 64}).get_json()
    assert (same["result"], same["eventId"]) == ("unchanged", None)


def test_a_disabled_source_is_not_synced_and_the_answer_says_how_to_enable_it(api: Api) -> None:
    source = api.created("/api/sources", {"name": "notes", "type": "file"})
    assert api.patch(f"/api/sources/{source['id']}", {"enabled": False}).status_code == 200
    refused = api.post(f"/api/sources/{source['id']}/sync", {"cursor": "sha256:" + "a" * 64})
    assert_problem(refused, 409, "enabled", "enable it first")
    assert api.get(f"/api/events?sourceId={source['id']}").get_json()["items"] == []


def test_a_reported_cursor_is_validated_by_the_source_type(api: Api) -> None:
    _, source = _git_source(api)
    assert_problem(api.post(f"/api/sources/{source['id']}/sync", {"cursor": "not-a-sha"}), 400, "cursor",
                   "commit SHA")
    assert_problem(api.post(f"/api/sources/{source['id']}/sync", {"head": sha(3)}), 400, "head")


def _short_grace(app: Flask) -> None:
    """A webhook grace of 1 ms for ``app`` (as ``JOLLI_WEBHOOK_GRACE=0.001`` when it started)."""
    from jolli.api.checks import EVENT_SETTINGS

    app.extensions[EVENT_SETTINGS] = app.extensions[EVENT_SETTINGS].with_(webhook_grace_seconds=0.001)


@responses.activate
def test_a_change_only_a_check_found_makes_the_integration_degraded_until_its_webhook_arrives(
        api: Api, app: Flask) -> None:
    from jolli.provider import CanonicalPush
    from jolli.store.models import Integration

    _short_grace(app)
    integration, source = _git_source(api)
    assert api.get(f"/api/integrations/{integration['id']}/health").get_json()["status"] == "ok"
    BranchApi().add("github", "github.com/acme/app", sha(2))
    api.post(f"/api/sources/{source['id']}/sync")

    health = api.get(f"/api/integrations/{integration['id']}/health").get_json()
    assert health["status"] == "degraded" and health["webhookGaps24h"] == 1
    assert health["webhookGaps"][0]["headSha"] == sha(2)
    assert integration["webhookUrl"] in health["fix"] and "secret" in health["fix"]
    assert "s3cret-for-tests" not in str(health)

    deliver(Integration.get_by_id(integration["id"]), [CanonicalPush(
        repo="github.com/acme/app", ref="refs/heads/main", before=sha(1), after=sha(2), delivery_id="late")])
    healed = api.get(f"/api/integrations/{integration['id']}/health").get_json()
    assert (healed["status"], healed["webhookGaps24h"]) == ("ok", 0)
    assert healed["lastVerifiedDeliveryAt"]


def test_intervals_of_their_own_are_checked(api: Api) -> None:
    integration, source = _git_source(api)
    put = api.client.put
    headers = {"Authorization": f"Bearer {api.token}"}
    assert_problem(put(f"/api/sources/{source['id']}/check", json={"intervalSeconds": 1}, headers=headers), 400,
                   "intervalSeconds")
    ok = put(f"/api/sources/{source['id']}/check", json={"intervalSeconds": 30}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["intervalSeconds"] == 30
    mine = put(f"/api/integrations/{integration['id']}/check", json={"intervalSeconds": 600}, headers=headers)
    assert mine.get_json() == {"integrationId": integration["id"], "intervalSeconds": 600}


@responses.activate
def test_get_and_list_integrations_show_the_webhook_health(api: Api, app: Flask) -> None:
    _short_grace(app)
    integration, source = _git_source(api)
    assert api.get(f"/api/integrations/{integration['id']}").get_json()["webhookHealth"]["status"] == "ok"
    BranchApi().add("github", "github.com/acme/app", sha(2))
    api.post(f"/api/sources/{source['id']}/sync")
    shown = api.get(f"/api/integrations/{integration['id']}").get_json()["webhookHealth"]
    assert (shown["status"], shown["webhookGaps24h"]) == ("degraded", 1) and shown["fix"]
    listed = api.get("/api/integrations").get_json()["items"]
    assert listed[0]["webhookHealth"]["status"] == "degraded"


def test_refused_deliveries_of_the_last_24_hours_are_shown_by_reason(api: Api) -> None:
    from jolli.events import refusals

    integration, _ = _git_source(api)
    iid = integration["id"]
    refusals.flush()

    def deliver_raw(integration_id: int, data: bytes, secret: str) -> int:
        signature = "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        return api.client.post(f"/api/webhooks/{integration_id}", data=data, headers={
            "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signature,
            "X-GitHub-Delivery": "d"}).status_code

    assert [deliver_raw(iid, b"{}", "wrong-secret") for _ in range(3)] == [401] * 3
    assert deliver_raw(iid, b"not json", "s3cret-for-tests") == 400
    assert deliver_raw(iid + 1000, b"{}", "wrong-secret") == 404  # no such integration: not counted per id
    deadline = time.monotonic() + 5
    while True:  # the first refusal is written at once, the burst after it within a second
        health = api.get(f"/api/integrations/{iid}").get_json()["webhookHealth"]
        if health["refusedDeliveries24h"] == 4 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert (health["refusedDeliveries24h"], health["refusedByReason24h"]) == (4, {"bad-signature": 3, "bad-body": 1})
    assert health["status"] == "ok"  # anyone can send a forged delivery: refusals alone are no gap
    assert "s3cret-for-tests" not in str(health)
    listed = api.get("/api/integrations").get_json()["items"]
    assert listed[0]["webhookHealth"]["refusedByReason24h"] == {"bad-signature": 3, "bad-body": 1}
    from jolli.store import sql as raw

    assert raw.rows("SELECT DISTINCT integration_id FROM webhook_refusal") == [(iid,)]


@responses.activate
def test_a_third_party_type_gets_events_from_a_sync(api: Api) -> None:
    from jolli.testing.helpers import isolated_plugins

    with isolated_plugins() as plugins:
        plugins.register(PypiType(), "pypi-type")
        source = api.created("/api/sources", {"name": "requests", "type": "pypi", "fields": {"package": "requests"}})
        responses.get("https://pypi.org/pypi/requests/json", json={"info": {"version": "2.32.0"}})
        found = api.post(f"/api/sources/{source['id']}/sync").get_json()
        assert (found["result"], found["head"], found["origin"]) == ("changed", "2.32.0", "manual")
        event = api.get(f"/api/events/{found['eventId']}").get_json()
        assert (event["origin"], event["headSha"]) == ("manual", "2.32.0")
        again = api.post(f"/api/sources/{source['id']}/sync").get_json()
        assert (again["result"], again["eventId"]) == ("unchanged", None)
