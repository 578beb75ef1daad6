"""Bitbucket Cloud push webhooks: signatures over the real delivery, one push per change."""

from __future__ import annotations

import copy
import json

import pytest
from webhook_fixtures import body, sign

from jolli.errors import InvalidInput
from jolli.provider import ZERO_SHA, WebhookIgnored
from jolli.providers.webhooks import bitbucket

SECRET = "bitbucket-webhook-secret"
HEADERS = {"X-Event-Key": "repo:push", "X-Request-UUID": "c1d2e3f4-0000-4000-8000-000000000001"}


def test_good_bad_and_missing_signature() -> None:
    data = body("bitbucket-cloud-push.json")
    good = "sha256=" + sign(SECRET, data)
    assert bitbucket.verify({"X-Hub-Signature": good}, data, SECRET)
    assert bitbucket.verify({"x-hub-signature": good}, data, SECRET)
    assert not bitbucket.verify({"X-Hub-Signature": good}, data + b"\n", SECRET)
    assert not bitbucket.verify({"X-Hub-Signature": "sha1=" + sign(SECRET, data)}, data, SECRET)
    assert not bitbucket.verify({"X-Hub-Signature-256": good}, data, SECRET)  # not Bitbucket's header
    assert not bitbucket.verify({}, data, SECRET)
    assert not bitbucket.verify({"X-Hub-Signature": "sha256=" + sign("", data)}, data, "")


def test_push() -> None:
    [push] = bitbucket.parse(HEADERS, body("bitbucket-cloud-push.json"))
    assert push.repo == "bitbucket.org/team_name/repo_name"
    assert push.ref == "refs/heads/name-of-branch"
    assert push.before == "1e65c05c1d5171631d92438a13901ca7dae9618c"
    assert push.after == "709d658dc5b6d6afcd46049c2f332ee3f515a67d"
    assert (push.created, push.deleted, push.forced) == (False, False, False)
    assert push.delivery_id == HEADERS["X-Request-UUID"]


def test_several_changes_become_several_pushes() -> None:
    data = json.loads(body("bitbucket-cloud-push.json"))
    update = data["push"]["changes"][0]
    forced = copy.deepcopy(update) | {"forced": True}
    new_tag = copy.deepcopy(update) | {"old": None, "created": True}
    new_tag["new"] |= {"type": "tag", "name": "v2.0"}
    deleted = copy.deepcopy(update) | {"new": None, "closed": True}
    deleted["old"]["name"] = "old-branch"
    data["push"]["changes"] = [forced, new_tag, deleted]
    pushes = bitbucket.parse(HEADERS, json.dumps(data).encode())
    assert [p.ref for p in pushes] == ["refs/heads/name-of-branch", "refs/tags/v2.0", "refs/heads/old-branch"]
    assert [(p.forced, p.created, p.deleted) for p in pushes] == [
        (True, False, False), (False, True, False), (False, False, True)
    ]
    assert pushes[1].before == ZERO_SHA and pushes[2].after == ZERO_SHA
    assert len({p.delivery_id for p in pushes}) == 1


def test_other_events_are_ignored() -> None:
    for event in ("repo:fork", "pullrequest:created", "repo:commit_status_updated"):
        with pytest.raises(WebhookIgnored):
            bitbucket.parse({"X-Event-Key": event}, b"{}")


def test_push_without_changes_is_ignored() -> None:
    data = json.loads(body("bitbucket-cloud-push.json"))
    data["push"]["changes"] = []
    with pytest.raises(WebhookIgnored):
        bitbucket.parse(HEADERS, json.dumps(data).encode())


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"", "empty"), (b"{", "not valid JSON"), (b'{"repository": {"full_name": "a/b"}}', "push"),
     (b'{"repository": {"full_name": "a/b"}, "push": {"changes": [{"new": {"type": "branch", '
      b'"name": "m", "target": {"hash": "nope"}}, "old": null}]}}', "hash")],
)
def test_garbage_bodies_are_rejected(payload: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        bitbucket.parse(HEADERS, payload)


def test_missing_event_header_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="X-Event-Key"):
        bitbucket.parse({}, body("bitbucket-cloud-push.json"))
