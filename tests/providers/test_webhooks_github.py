"""GitHub push webhooks: signatures over the real deliveries, parsing to canonical pushes."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC
from urllib.parse import urlencode

import pytest
from webhook_fixtures import body, sign, vector

from jolli.coordinates import COORDINATE_RE
from jolli.errors import InvalidInput
from jolli.provider import ZERO_SHA, WebhookIgnored
from jolli.providers.webhooks import github

SECRET = "s3cr3t-for-tests"
FIXTURES = [
    "github-push.json",
    "github-push-existing-branch.json",
    "github-push-tag-created.json",
    "github-push-tag-deleted.json",
]


def push_headers(**extra: str) -> dict[str, str]:
    return {"X-GitHub-Event": "push", "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958", **extra}


def test_documented_vector_verifies() -> None:
    v = vector("github")
    headers = {v["header"]: v["expected_header_value"]}
    assert github.verify(headers, v["payload"].encode(), v["secret"])
    assert not github.verify(headers, v["payload"].encode() + b"\n", v["secret"])


@pytest.mark.parametrize("name", FIXTURES)
def test_real_delivery_good_bad_and_missing_signature(name: str) -> None:
    data = body(name)
    good = "sha256=" + sign(SECRET, data)
    assert github.verify({"X-Hub-Signature-256": good}, data, SECRET)
    assert github.verify({"x-hub-signature-256": good.upper().replace("SHA256=", "sha256=")}, data, SECRET)
    assert not github.verify({"X-Hub-Signature-256": good}, data, "another secret")
    assert not github.verify({"X-Hub-Signature-256": "sha256=" + sign(SECRET, data + b" ")}, data, SECRET)
    assert not github.verify({"X-Hub-Signature-256": sign(SECRET, data)}, data, SECRET)  # no prefix
    assert not github.verify({}, data, SECRET)


def test_legacy_sha1_signature_alone_is_not_enough() -> None:
    data = body("github-push.json")
    sha1 = "sha1=" + hmac.new(SECRET.encode(), data, hashlib.sha1).hexdigest()
    assert not github.verify({"X-Hub-Signature": sha1}, data, SECRET)


def test_missing_secret_never_accepts() -> None:
    data = body("github-push.json")
    assert not github.verify({"X-Hub-Signature-256": "sha256=" + sign("", data)}, data, "")
    assert not github.verify({"X-Hub-Signature-256": "sha256=\u00e9\u00e9"}, data, SECRET)


def test_branch_creation() -> None:
    [push] = github.parse(push_headers(), body("github-push.json"))
    assert push.repo == "github.com/Codertocat/Hello-World"
    assert push.ref == "refs/heads/master" and push.branch == "master"
    assert push.before == ZERO_SHA
    assert push.after == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
    assert (push.created, push.deleted, push.forced) == (True, False, False)
    assert push.delivery_id == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert push.received_at is not None and push.received_at.tzinfo == UTC


def test_push_to_existing_branch() -> None:
    [push] = github.parse(push_headers(), body("github-push-existing-branch.json"))
    assert push.repo == "github.com/adsabs/mission-control"
    assert push.before == "c52ecc05b001eda14a389eeb76476bc5c9ac5e0b"
    assert push.after == "bcdf7771aa10d78d865c61e5336145e335e30427"
    assert not push.created and not push.deleted


def test_tag_created_on_enterprise_server() -> None:
    [push] = github.parse(push_headers(), body("github-push-tag-created.json"))
    assert push.ref == "refs/tags/simple-tag" and push.tag == "simple-tag" and push.branch is None
    assert push.created and not push.deleted
    assert push.repo == "octocoders.github.io/Codertocat/Hello-World"  # host from repository.html_url


def test_tag_deleted() -> None:
    [push] = github.parse(push_headers(), body("github-push-tag-deleted.json"))
    assert push.ref == "refs/tags/simple-tag"
    assert push.deleted and push.after == ZERO_SHA
    assert push.before == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"


@pytest.mark.parametrize("name", FIXTURES)
def test_every_coordinate_matches_the_seed_regex(name: str) -> None:
    [push] = github.parse(push_headers(), body(name))
    assert COORDINATE_RE.match(push.repo)


def test_form_encoded_delivery() -> None:
    raw = body("github-push.json")
    form = urlencode({"payload": raw.decode()}).encode()
    headers = push_headers(**{"Content-Type": "application/x-www-form-urlencoded"})
    assert github.verify({"X-Hub-Signature-256": "sha256=" + sign(SECRET, form)}, form, SECRET)
    assert github.parse(headers, form)[0].after == github.parse(push_headers(), raw)[0].after


def test_form_encoded_without_payload_field() -> None:
    headers = push_headers(**{"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(InvalidInput, match="payload"):
        github.parse(headers, b"other=1")


def test_forced_push_is_reported() -> None:
    data = json.loads(body("github-push-existing-branch.json"))
    data["forced"] = True
    [push] = github.parse(push_headers(), json.dumps(data).encode())
    assert push.forced


def test_ping_and_other_events_are_ignored() -> None:
    with pytest.raises(WebhookIgnored, match="ping"):
        github.parse({"X-GitHub-Event": "ping"}, b'{"zen": "Keep it logically awesome."}')
    with pytest.raises(WebhookIgnored, match="issues"):
        github.parse({"X-GitHub-Event": "issues"}, b"{}")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"not json at all", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"ref": "refs/heads/x", "before": "abc", "after": "abc"}', "before"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_garbage_bodies_are_rejected(payload: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        github.parse(push_headers(), payload)


def test_missing_repository_is_rejected() -> None:
    data = json.loads(body("github-push.json"))
    del data["repository"]
    with pytest.raises(InvalidInput, match="repository"):
        github.parse(push_headers(), json.dumps(data).encode())


def test_missing_event_header_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="X-GitHub-Event"):
        github.parse({}, body("github-push.json"))


def test_an_app_delivery_names_its_installation_and_a_repository_webhook_none() -> None:
    data = json.loads(body("github-push.json"))
    assert data["installation"]["id"] == 1  # the real delivery came through a GitHub App
    (push,) = github.parse(push_headers(), body("github-push.json"))
    assert push.installation_id == "1"
    del data["installation"]
    (plain,) = github.parse(push_headers(), json.dumps(data).encode())
    assert plain.installation_id is None
    data["installation"] = {"id": "not-a-number"}
    assert github.parse(push_headers(), json.dumps(data).encode())[0].installation_id is None
