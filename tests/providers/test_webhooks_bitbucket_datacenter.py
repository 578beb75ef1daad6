"""Bitbucket Data Center push webhooks: the peer vector, refs_changed parsing, personal projects."""

from __future__ import annotations

import json

import pytest
from webhook_fixtures import body, vector

from jolli.coordinates import COORDINATE_RE
from jolli.errors import InvalidInput
from jolli.provider import ZERO_SHA, WebhookIgnored
from jolli.providers.webhooks import bitbucket_datacenter as dc

FIXTURE = "bitbucket-server-refs-changed.json"
HEADERS = {"X-Event-Key": "repo:refs_changed", "X-Request-Id": "0b7c3a2e-7f1d-4d55-9e83-3f5b8a0c9d11"}


def test_peer_vector_good_bad_and_missing_signature() -> None:
    v = vector("bitbucket-server")
    data = body(v["payload_file"])
    assert dc.verify({v["header"]: v["expected_header_value"]}, data, v["secret"])
    assert not dc.verify({v["header"]: v["expected_header_value"]}, data, "not-the-secret")
    assert not dc.verify({v["header"]: v["expected_header_value"]}, data.replace(b"gopher", b"gophers"), v["secret"])
    assert not dc.verify({}, data, v["secret"])
    assert not dc.verify({v["header"]: v["expected_header_value"]}, data, "")


def test_branch_delete_in_personal_project() -> None:
    [push] = dc.parse(HEADERS, body(FIXTURE))
    assert push.repo == "server.bitbucket.local/_gopher/webhook-test"
    assert COORDINATE_RE.match(push.repo)
    assert push.ref == "refs/heads/feature/wip" and push.branch == "feature/wip"
    assert push.deleted and not push.created and not push.forced
    assert push.before == "32a0b8a740c2963c6f56bd8baf3dc05683d299e0" and push.after == ZERO_SHA
    assert push.delivery_id == HEADERS["X-Request-Id"]


def test_owner_mapping_round_trips() -> None:
    assert dc.owner_for_project_key("~gopher") == "_gopher"
    assert dc.owner_for_project_key("~GOPHER") == "_gopher"
    assert dc.project_key_for_owner("_gopher") == "~gopher"
    assert dc.owner_for_project_key("proj") == "PROJ"
    assert dc.project_key_for_owner("PROJ") == "PROJ"


def test_project_repo_update_and_add() -> None:
    data = json.loads(body(FIXTURE))
    data["repository"]["project"] = {"key": "PRJ", "id": 1, "name": "Project", "type": "NORMAL"}
    data["repository"]["links"] = {
        "clone": [{"href": "https://Bitbucket.Example.com:7990/scm/prj/webhook-test.git", "name": "http"}],
        "self": [{"href": "https://Bitbucket.Example.com:7990/projects/PRJ/repos/webhook-test/browse"}],
    }
    data["changes"] = [
        {"ref": {"id": "refs/heads/main", "displayId": "main", "type": "BRANCH"}, "refId": "refs/heads/main",
         "fromHash": "32a0b8a740c2963c6f56bd8baf3dc05683d299e0",
         "toHash": "b0e1c7a3d1f5e2a4c6b8d0f2e4a6c8b0d2f4e6a8", "type": "UPDATE"},
        {"ref": {"id": "refs/tags/v1", "displayId": "v1", "type": "TAG"}, "refId": "refs/tags/v1",
         "fromHash": ZERO_SHA, "toHash": "b0e1c7a3d1f5e2a4c6b8d0f2e4a6c8b0d2f4e6a8", "type": "ADD"},
    ]
    update, tag = dc.parse(HEADERS, json.dumps(data).encode())
    assert update.repo == tag.repo == "bitbucket.example.com/PRJ/webhook-test"
    assert (update.created, update.deleted) == (False, False)
    assert tag.tag == "v1" and tag.created


def test_ping_and_other_events_are_ignored() -> None:
    with pytest.raises(WebhookIgnored, match="ping"):
        dc.parse({"X-Event-Key": "diagnostics:ping"}, b'{"test": true}')
    with pytest.raises(WebhookIgnored):
        dc.parse({"X-Event-Key": "pr:opened"}, b"not even json")


def test_event_key_from_body_when_header_missing() -> None:
    [push] = dc.parse({}, body(FIXTURE))
    assert push.deleted


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"", "empty"), (b"][", "not valid JSON"), (b'{"eventKey": "repo:refs_changed"}', "repository")],
)
def test_garbage_bodies_are_rejected(payload: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        dc.parse(HEADERS, payload)


def test_repository_without_links_has_no_host() -> None:
    data = json.loads(body(FIXTURE))
    data["repository"]["links"] = {}
    data["repository"]["project"]["links"] = {}
    with pytest.raises(InvalidInput, match="host"):
        dc.parse(HEADERS, json.dumps(data).encode())
