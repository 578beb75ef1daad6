"""GitLab push webhooks: the X-Gitlab-Token check and parsing the documented deliveries."""

from __future__ import annotations

import json

import pytest
from webhook_fixtures import body

from jolli.errors import InvalidInput
from jolli.provider import ZERO_SHA, WebhookIgnored
from jolli.providers.webhooks import gitlab

SECRET = "glpat-like-webhook-secret"


def headers(event: str = "Push Hook", **extra: str) -> dict[str, str]:
    return {"X-Gitlab-Event": event, **extra}


@pytest.mark.parametrize("name", ["gitlab-push.json", "gitlab-tag-push.json"])
def test_token_good_bad_and_missing(name: str) -> None:
    data = body(name)
    assert gitlab.verify({"X-Gitlab-Token": SECRET}, data, SECRET)
    assert gitlab.verify({"x-gitlab-token": SECRET}, data, SECRET)
    assert not gitlab.verify({"X-Gitlab-Token": SECRET + "x"}, data, SECRET)
    assert not gitlab.verify({"X-Gitlab-Token": SECRET[:-1]}, data, SECRET)
    assert not gitlab.verify({}, data, SECRET)


def test_empty_secret_never_accepts() -> None:
    assert not gitlab.verify({"X-Gitlab-Token": ""}, b"{}", "")
    assert not gitlab.verify({"X-Gitlab-Token": "caf\u00e9"}, b"{}", SECRET)


def test_push() -> None:
    [push] = gitlab.parse(headers(**{"Idempotency-Key": "idem-1", "X-Gitlab-Event-UUID": "uuid-1"}),
                          body("gitlab-push.json"))
    assert push.repo == "example.com/mike/diaspora"
    assert push.ref == "refs/heads/master"
    assert push.before == "95790bf891e76fee5e1747ab589903a6a1f80f22"
    assert push.after == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
    assert (push.created, push.deleted, push.forced) == (False, False, False)
    assert push.delivery_id == "idem-1"


def test_delivery_id_falls_back_to_event_uuid() -> None:
    [push] = gitlab.parse(headers(**{"X-Gitlab-Event-UUID": "uuid-1"}), body("gitlab-push.json"))
    assert push.delivery_id == "uuid-1"


def test_tag_push() -> None:
    [push] = gitlab.parse(headers("Tag Push Hook"), body("gitlab-tag-push.json"))
    assert push.repo == "example.com/jsmith/example"
    assert push.ref == "refs/tags/v1.0.0" and push.tag == "v1.0.0"
    assert push.created and push.before == ZERO_SHA


def test_branch_deletion() -> None:
    data = json.loads(body("gitlab-push.json"))
    data.update(before=data["after"], after=ZERO_SHA, checkout_sha=None, commits=[], total_commits_count=0)
    [push] = gitlab.parse(headers(), json.dumps(data).encode())
    assert push.deleted and not push.created


def test_nested_groups_are_kept_and_host_is_lower_cased() -> None:
    data = json.loads(body("gitlab-push.json"))
    data["project"].update(web_url="https://GitLab.Example.com:8443/group/sub/diaspora",
                           path_with_namespace="group/sub/diaspora")
    [push] = gitlab.parse(headers(), json.dumps(data).encode())
    assert push.repo == "gitlab.example.com/group/sub/diaspora"


def test_system_hook_push_is_parsed_and_other_system_hooks_ignored() -> None:
    [push] = gitlab.parse(headers("System Hook"), body("gitlab-push.json"))
    assert push.ref == "refs/heads/master"
    with pytest.raises(WebhookIgnored):
        gitlab.parse(headers("System Hook"), b'{"event_name": "project_create", "name": "x"}')


@pytest.mark.parametrize("event", ["Merge Request Hook", "Issue Hook", "Pipeline Hook"])
def test_other_events_are_ignored(event: str) -> None:
    with pytest.raises(WebhookIgnored):
        gitlab.parse(headers(event), b"{}")


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"", "empty"), (b"<html>", "not valid JSON"), (b'"push"', "JSON object"),
     (b'{"object_kind": "push", "ref": "refs/heads/x", "before": "00", "after": "00"}', "before")],
)
def test_garbage_bodies_are_rejected(payload: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        gitlab.parse(headers(), payload)


def test_project_path_is_validated() -> None:
    data = json.loads(body("gitlab-push.json"))
    data["project"]["path_with_namespace"] = "mike/dia spora"
    with pytest.raises(InvalidInput, match="owner/name"):
        gitlab.parse(headers(), json.dumps(data).encode())


def test_the_listed_commits_are_kept_as_order_evidence() -> None:
    [push] = gitlab.parse(headers(), body("gitlab-push.json"))
    assert push.commits == ("b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7")
    bad = json.loads(body("gitlab-push.json"))
    bad["commits"] = [{"id": "not-a-sha"}, "x", {"id": bad["after"]}]
    [push] = gitlab.parse(headers(), json.dumps(bad).encode())
    assert push.commits == (bad["after"],)  # malformed entries are left out: the list is only a hint
