"""Rotating an integration's webhook secret without losing deliveries: the replaced secret keeps verifying
until the time the operator set, then only the new one does; refusals are logged without the secret."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apihelp import Api, assert_problem
from flask.testing import FlaskClient

OLD, NEW = "old-secret-ROTATED-OUT", "new-secret-ROTATED-IN"
CACHE = 1.1  # the receiver caches an integration for one second


def push(n: int) -> bytes:
    return (b'{"ref":"refs/heads/main","before":"' + b"0" * 40 + b'","after":"' + f"{n:040x}".encode()
            + b'","repository":{"full_name":"acme/app","html_url":"https://github.com/acme/app"}}')


def deliver(client: FlaskClient, integration_id: int, secret: str, n: int) -> int:
    body = push(n)
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(f"/api/webhooks/{integration_id}", data=body, headers={
        "X-GitHub-Event": "push", "X-Hub-Signature-256": signature, "Content-Type": "application/json"}).status_code


@pytest.fixture
def integration(api: Api) -> dict[str, Any]:
    created = api.created("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme",
                                                "webhookSecret": OLD})
    api.created("/api/sources", {"name": "app", "type": "git", "repo": "github.com/acme/app", "branch": "main"})
    return created


def iso(when: datetime) -> str:
    return when.isoformat()


def test_both_secrets_verify_until_the_time_set_then_only_the_new_one(api: Api, client: FlaskClient,
                                                                       integration: dict[str, Any]) -> None:
    iid = integration["id"]
    assert deliver(client, iid, OLD, 1) == 202
    until = datetime.now(UTC) + timedelta(seconds=3)
    changed = api.patch(f"/api/integrations/{iid}", {"webhookSecret": NEW, "previousSecretValidUntil": iso(until)})
    assert changed.status_code == 200, changed.get_json()
    assert datetime.fromisoformat(changed.get_json()["previousSecretValidUntil"]) == until
    time.sleep(CACHE)
    assert deliver(client, iid, NEW, 2) == 202  # the provider already sends the new one ...
    assert deliver(client, iid, OLD, 3) == 202  # ... or still the old one: nothing lost meanwhile
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + CACHE)
    assert deliver(client, iid, OLD, 4) == 401
    assert deliver(client, iid, NEW, 5) == 202
    assert api.get(f"/api/integrations/{iid}").get_json()["previousSecretValidUntil"] is None


def test_a_new_secret_without_a_time_replaces_the_old_one_at_once(api: Api, client: FlaskClient,
                                                                   integration: dict[str, Any]) -> None:
    iid = integration["id"]
    assert api.patch(f"/api/integrations/{iid}", {"webhookSecret": NEW}).get_json()["previousSecretValidUntil"] is None
    time.sleep(CACHE)
    assert deliver(client, iid, OLD, 1) == 401 and deliver(client, iid, NEW, 2) == 202


def test_the_overlap_can_be_ended_early(api: Api, client: FlaskClient, integration: dict[str, Any]) -> None:
    iid = integration["id"]
    later = iso(datetime.now(UTC) + timedelta(hours=1))
    assert api.patch(f"/api/integrations/{iid}", {"webhookSecret": NEW, "previousSecretValidUntil": later}).status_code == 200
    ended = api.patch(f"/api/integrations/{iid}", {"previousSecretValidUntil": None})
    assert ended.status_code == 200 and ended.get_json()["previousSecretValidUntil"] is None
    time.sleep(CACHE)
    assert deliver(client, iid, OLD, 1) == 401 and deliver(client, iid, NEW, 2) == 202


def test_bad_overlap_requests_are_400_naming_the_field(api: Api, integration: dict[str, Any]) -> None:
    iid = integration["id"]
    past = iso(datetime.now(UTC) - timedelta(minutes=1))
    assert_problem(api.patch(f"/api/integrations/{iid}", {"webhookSecret": NEW, "previousSecretValidUntil": past}),
                   400, "previousSecretValidUntil", "in the future")
    later = iso(datetime.now(UTC) + timedelta(hours=1))
    assert_problem(api.patch(f"/api/integrations/{iid}", {"previousSecretValidUntil": later}),
                   400, "previousSecretValidUntil", "webhookSecret")
    assert_problem(api.patch(f"/api/integrations/{iid}", {"webhookSecret": NEW,
                                                          "previousSecretValidUntil": "2030-01-01T00:00:00"}),
                   400, "previousSecretValidUntil")  # a time without its zone is ambiguous
    assert_problem(api.post("/api/integrations", {"provider": "github", "host": "github.com", "owner": "x",
                                                  "previousSecretValidUntil": later}), 400, "previousSecretValidUntil")


def test_a_refused_delivery_is_logged_once_per_minute_without_secret_or_signature(
        client: FlaskClient, integration: dict[str, Any], caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from jolli.events import intake
    from jolli.log_limit import RateLimitedLog

    monkeypatch.setattr(intake, "_refusals", RateLimitedLog(intake.log, intake.REFUSAL_LOG_INTERVAL))  # a fresh process
    caplog.set_level(logging.DEBUG)
    iid = integration["id"]
    for n in range(5):
        assert deliver(client, iid, "wrong-secret", n) == 401
    refusals = [r.getMessage() for r in caplog.records if "webhook refused" in r.getMessage()]
    assert refusals == [f"webhook refused: integrationId={iid} provider=github check=signature missing or not matching"]
    wrong_signature = hmac.new(b"wrong-secret", push(0), hashlib.sha256).hexdigest()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert OLD not in text and wrong_signature not in text
