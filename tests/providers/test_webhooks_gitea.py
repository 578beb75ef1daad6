"""Gitea, Forgejo and Gogs push webhooks: the peer vectors, every signature header, parsing."""

from __future__ import annotations

import json

import pytest
from webhook_fixtures import body, vector

from jolli.errors import InvalidInput
from jolli.provider import ZERO_SHA, WebhookIgnored
from jolli.providers.webhooks import gitea


@pytest.mark.parametrize("header", ["X-Gitea-Signature", "X-Forgejo-Signature", "x-gitea-signature"])
def test_gitea_vector_in_each_bare_header(header: str) -> None:
    v = vector("gitea")
    data = body(v["payload_file"])
    assert gitea.verify({header: v["expected_header_value"]}, data, v["secret"])
    assert not gitea.verify({header: v["expected_header_value"]}, data, "wrong")
    assert not gitea.verify({header: "sha256=" + v["expected_header_value"]}, data, v["secret"])


def test_github_compatible_header() -> None:
    v = vector("gitea")
    data = body(v["payload_file"])
    assert gitea.verify({"X-Hub-Signature-256": "sha256=" + v["expected_header_value"]}, data, v["secret"])
    assert not gitea.verify({"X-Hub-Signature-256": v["expected_header_value"]}, data, v["secret"])


def test_gogs_vector() -> None:
    v = vector("gogs")
    data = body(v["payload_file"])
    assert gitea.verify({v["header"]: v["expected_header_value"]}, data, v["secret"])
    assert not gitea.verify({v["header"]: v["expected_header_value"]}, data[:-1], v["secret"])


def test_missing_or_inconsistent_signatures_fail() -> None:
    v = vector("gitea")
    data = body(v["payload_file"])
    assert not gitea.verify({}, data, v["secret"])
    assert not gitea.verify({"X-Gitea-Signature": v["expected_header_value"]}, data, "")
    both = {"X-Gitea-Signature": v["expected_header_value"], "X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert not gitea.verify(both, data, v["secret"])


def test_gitea_push_creates_branch() -> None:
    headers = {"X-Gitea-Event": "push", "X-Gitea-Delivery": "d6a1c2b4-1111-4222-8333-944455556666"}
    [push] = gitea.parse(headers, body("gitea-push.json"))
    assert push.repo == "localhost/example/example"  # port 3000 dropped
    assert push.ref == "refs/heads/master"
    assert push.created and push.before == ZERO_SHA
    assert push.after == "67b56589a45103f891bdee7c0546e5d40bc02001"
    assert push.delivery_id == headers["X-Gitea-Delivery"]


def test_forgejo_headers() -> None:
    headers = {"X-Forgejo-Event": "push", "X-Forgejo-Delivery": "f-1"}
    [push] = gitea.parse(headers, body("gitea-push.json"))
    assert push.delivery_id == "f-1" and push.repo == "localhost/example/example"


def test_gogs_push() -> None:
    [push] = gitea.parse(vector("gogs")["event_header"], body("gogs-push.json"))
    assert push.repo == "localhost/unknwon/webhooks"
    assert push.ref == "refs/heads/develop"
    assert push.before == "28e1879d029cb852e4844d9c718537df08844e03"
    assert not push.created and not push.deleted
    assert push.delivery_id == "f6266f16-1bf3-46a5-9ea4-602e06ead473"


def test_branch_delete_event_becomes_a_deleted_push() -> None:
    repository = json.loads(body("gitea-push.json"))["repository"]
    payload = json.dumps({"ref": "feature/wip", "ref_type": "branch", "pusher_type": "user",
                          "repository": repository}).encode()
    [push] = gitea.parse({"X-Gitea-Event": "delete"}, payload)
    assert push.ref == "refs/heads/feature/wip" and push.deleted
    assert push.after == ZERO_SHA


def test_tag_deletion_push() -> None:
    data = json.loads(body("gitea-push.json"))
    data.update(ref="refs/tags/v1", before=data["after"], after=ZERO_SHA, commits=[], head_commit=None)
    [push] = gitea.parse({"X-Gitea-Event": "push"}, json.dumps(data).encode())
    assert push.tag == "v1" and push.deleted


@pytest.mark.parametrize(("event", "payload"), [
    ("create", b"{}"), ("issues", b"{}"), ("pull_request", b"{}"),
    ("delete", b'{"ref": "v1", "ref_type": "tag"}'),
])
def test_other_events_are_ignored(event: str, payload: bytes) -> None:
    with pytest.raises(WebhookIgnored):
        gitea.parse({"X-Gitea-Event": event}, payload)


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"", "empty"), (b"ref=refs/heads/main", "not valid JSON"),
     (b'{"ref": "refs/heads/m", "before": "0", "after": "1"}', "before")],
)
def test_garbage_bodies_are_rejected(payload: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        gitea.parse({"X-Gitea-Event": "push"}, payload)


def test_missing_event_header_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="X-Gitea-Event"):
        gitea.parse({}, body("gitea-push.json"))
