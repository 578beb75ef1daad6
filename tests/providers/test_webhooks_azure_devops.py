"""Azure DevOps service hooks: the Basic credentials check and parsing the documented ``git.push`` sample."""

from __future__ import annotations

import base64
import json

import pytest
from webhook_fixtures import body

from jolli.errors import InvalidInput
from jolli.provider import ZERO_SHA, WebhookIgnored
from jolli.providers.webhooks import azure_devops

SECRET = "s3cret-hook-password"
PUSH = "azure-devops-git-push.json"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def edited(**changes: object) -> bytes:
    """The documented sample with top-level or ``resource`` fields replaced (``resource__x=...``)."""
    data = json.loads(body(PUSH))
    for key, value in changes.items():
        if key.startswith("resource__"):
            data["resource"][key[len("resource__"):]] = value
        else:
            data[key] = value
    return json.dumps(data).encode()


def test_password_is_the_secret_with_any_user_name() -> None:
    data = body(PUSH)
    assert azure_devops.verify({"Authorization": basic("jolli", SECRET)}, data, SECRET)
    assert azure_devops.verify({"authorization": basic("", SECRET)}, data, SECRET)  # any case, any user
    assert not azure_devops.verify({"Authorization": basic("jolli", SECRET + "x")}, data, SECRET)
    assert not azure_devops.verify({"Authorization": basic(SECRET, "")}, data, SECRET)
    assert not azure_devops.verify({}, data, SECRET)
    assert not azure_devops.verify({"Authorization": "Bearer " + SECRET}, data, SECRET)
    assert not azure_devops.verify({"Authorization": "Basic not-base64!"}, data, SECRET)
    assert not azure_devops.verify({"Authorization": basic("jolli", SECRET)}, data, "")  # no secret: never


def test_a_secret_with_a_colon_is_user_and_password() -> None:
    secret = "hooks:" + SECRET
    data = body(PUSH)
    assert azure_devops.verify({"Authorization": basic("hooks", SECRET)}, data, secret)
    assert not azure_devops.verify({"Authorization": basic("other", SECRET)}, data, secret)
    assert not azure_devops.verify({"Authorization": basic("hooks", "wrong")}, data, secret)


def test_documented_push_becomes_one_canonical_push() -> None:
    (push,) = azure_devops.parse({"Content-Type": "application/json"}, body(PUSH))
    # remoteUrl https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/_git/Fabrikam-Fiber-Git: the
    # repository of the project of the same name
    assert push.repo == "dev.azure.com/fabrikam-fiber-inc/Fabrikam-Fiber-Git/Fabrikam-Fiber-Git"
    assert push.ref == "refs/heads/master" and push.branch == "master"
    assert push.before == "aad331d8d3b131fa9ae03cf5e53965b51942618a"
    assert push.after == "33b55f7cb7e7e245323987634f960cf4a6e6bc74"
    assert not (push.created or push.deleted or push.forced)
    assert push.delivery_id == "03c164c2-8912-4d5e-8009-3707d5f83734"
    assert push.received_at is not None


def test_each_ref_update_is_one_push_created_and_deleted_from_zero_ids() -> None:
    sha = "33b55f7cb7e7e245323987634f960cf4a6e6bc74"
    data = edited(resource__refUpdates=[
        {"name": "refs/heads/feature", "oldObjectId": ZERO_SHA, "newObjectId": sha},
        {"name": "refs/tags/v1", "oldObjectId": sha, "newObjectId": ZERO_SHA},
    ])
    created, deleted = azure_devops.parse({}, data)
    assert created.branch == "feature" and created.created and not created.deleted
    assert deleted.tag == "v1" and deleted.deleted and not deleted.created


@pytest.mark.parametrize(
    ("remote", "repo"),
    [
        ("https://dev.azure.com/org/project/_git/repo", "dev.azure.com/org/project/repo"),
        ("https://org.visualstudio.com/DefaultCollection/project/_git/repo", "dev.azure.com/org/project/repo"),
        ("https://tfs.corp.example/DefaultCollection/project/_git/repo",
         "tfs.corp.example/DefaultCollection/project/repo"),
    ],
)
def test_the_coordinate_comes_from_the_remote_url(remote: str, repo: str) -> None:
    data = json.loads(body(PUSH))
    data["resource"]["repository"]["remoteUrl"] = remote
    assert azure_devops.parse({}, json.dumps(data).encode())[0].repo == repo


@pytest.mark.parametrize("event", ["git.pullrequest.created", "build.complete", "tfvc.checkin"])
def test_other_events_are_ignored(event: str) -> None:
    with pytest.raises(WebhookIgnored) as caught:
        azure_devops.parse({}, edited(eventType=event))
    assert event in caught.value.reason


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "body"),
        (b"[1]", "body"),
        (json.dumps({"id": "x"}).encode(), "eventType"),
        (edited(resource__refUpdates="nope"), "resource.refUpdates"),
        (edited(resource__refUpdates=[{"name": "refs/heads/x", "oldObjectId": "abc", "newObjectId": ZERO_SHA}]),
         "resource.refUpdates[0].oldObjectId"),
        (edited(resource__repository={"name": "x"}), "resource.repository.remoteUrl"),
        (edited(resource__repository={"remoteUrl": "https://dev.azure.com/org/_settings"}),
         "resource.repository.remoteUrl"),
    ],
)
def test_bad_bodies_name_the_field(data: bytes, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        azure_devops.parse({}, data)
    assert field in caught.value.fields
