"""``POST /api/webhooks/<id>`` with the providers' real deliveries, byte for byte (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import hmac
import sys
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from apihelp import answer_fits, assert_problem
from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).parents[1] / "providers"))
sys.path.insert(0, str(Path(__file__).parents[1] / "events"))


from eventhelp import make_integration, make_org, make_source, make_spaces  # noqa: E402
from webhook_fixtures import body, vector  # noqa: E402

from jolli.events import refusals  # noqa: E402
from jolli.events.tables import EventJob, EventSpace, SourceEvent, SpaceAudit, WebhookDelivery  # noqa: E402
from jolli.store.models import Source  # noqa: E402

SECRET = "It's a Secret to Everybody"


def hub(secret: str, data: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def bare(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


# fixture, provider, host, secret, event headers, how it signs, expected (repo, branch) or what it is
CASES = [
    ("github-push.json", "github", "github.com", SECRET, {"X-GitHub-Event": "push"}, "X-Hub-Signature-256",
     ("github.com/Codertocat/Hello-World", "master")),
    ("github-push-existing-branch.json", "github", "github.com", SECRET, {"X-GitHub-Event": "push"},
     "X-Hub-Signature-256", ("github.com/adsabs/mission-control", "master")),
    ("github-push-tag-created.json", "github", "octocoders.github.io", SECRET, {"X-GitHub-Event": "push"},
     "X-Hub-Signature-256", "tag"),
    ("github-push-tag-deleted.json", "github", "github.com", SECRET, {"X-GitHub-Event": "push"},
     "X-Hub-Signature-256", "tag"),
    ("gitlab-push.json", "gitlab", "example.com", SECRET, {"X-Gitlab-Event": "Push Hook"}, "X-Gitlab-Token",
     ("example.com/mike/diaspora", "master")),
    ("gitlab-tag-push.json", "gitlab", "example.com", SECRET, {"X-Gitlab-Event": "Tag Push Hook"},
     "X-Gitlab-Token", "tag"),
    ("bitbucket-cloud-push.json", "bitbucket", "bitbucket.org", SECRET, {"X-Event-Key": "repo:push"},
     "X-Hub-Signature", ("bitbucket.org/team_name/repo_name", "name-of-branch")),
    ("bitbucket-server-refs-changed.json", "bitbucket-datacenter", "server.bitbucket.local",
     vector("bitbucket-server")["secret"], {"X-Event-Key": "repo:refs_changed"}, "X-Hub-Signature",
     ("server.bitbucket.local/_gopher/webhook-test", "feature/wip", "deleted")),
    ("gitea-push.json", "gitea", "localhost", vector("gitea")["secret"], {"X-Gitea-Event": "push"},
     "X-Gitea-Signature", ("localhost/example/example", "master")),
    ("gogs-push.json", "gitea", "localhost", vector("gogs")["secret"], {"X-Gogs-Event": "push"},
     "X-Gogs-Signature", ("localhost/unknwon/webhooks", "develop")),
]


def signed(header: str, secret: str, data: bytes) -> dict[str, str]:
    if header == "X-Gitlab-Token":
        return {header: secret}
    if header in ("X-Gitea-Signature", "X-Gogs-Signature"):
        return {header: bare(secret, data)}
    return {header: hub(secret, data)}


def counts() -> tuple[int, int, int]:
    return WebhookDelivery.select().count(), SourceEvent.select().count(), EventJob.select().count()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_real_delivery_with_a_good_a_bad_and_no_signature(client: FlaskClient, db: object, case: Any) -> None:
    name, provider, host, secret, event_headers, sig_header, expected = case
    org = make_org("acme")
    integration = make_integration(org, provider=provider, host=host, secret=secret)
    data = body(name)
    if isinstance(expected, tuple):
        source = make_source(org, "src", expected[0], branch=expected[1])
        spaces = make_spaces(org, source, 2)
    url = f"/api/webhooks/{integration.id}"
    base = {"Content-Type": "application/json", **event_headers}

    for bad in (signed(sig_header, secret + "x", data), {}):
        response = client.post(url, data=data, headers={**base, **bad})
        problem = assert_problem(response, 401)
        assert "signature" in problem["detail"]
        assert len(secret) < 8 or secret not in response.get_data(as_text=True)  # ("secret" is a word)
        assert counts() == (0, 0, 0)  # nothing stored before verification

    response = client.post(url, data=data, headers={**base, **signed(sig_header, secret, data)})
    result = response.get_json()
    document = client.get("/api/openapi.json").get_json()  # the fast path answers as documented
    answer_fits(document, "/api/webhooks/{integration_id}", "post", response)
    if expected == "tag":
        assert response.status_code == 200 and result["status"] == "ignored"
        assert counts() == (1, 0, 0)
    elif len(expected) == 3:  # a branch deletion: recorded, no work
        assert response.status_code == 200 and result["status"] == "ignored"
        (event_id,) = result["recordedEventIds"]
        assert SourceEvent.get_by_id(event_id).kind == "delete" and EventJob.select().count() == 0
    else:
        assert response.status_code == 202 and result["status"] == "accepted"
        (event_id,) = result["eventIds"]
        event = SourceEvent.get_by_id(event_id)
        assert (event.repo, event.branch, event.affected_space_ids) == (expected[0], expected[1], spaces)
        assert EventJob.select().count() == 1
        again = client.post(url, data=data, headers={**base, **signed(sig_header, secret, data)})
        assert again.status_code == 202 and again.get_json()["status"] == "duplicate"
        assert again.get_json()["duplicateEventIds"] == [event_id]
        answer_fits(document, "/api/webhooks/{integration_id}", "post", again)
        assert SourceEvent.select().count() == 1 and EventJob.select().count() == 1


def github(client: FlaskClient, integration_id: int, data: bytes, secret: str = SECRET,
           event: str = "push", delivery: str | None = None) -> Any:
    return client.post(f"/api/webhooks/{integration_id}", data=data, headers={
        "Content-Type": "application/json", "X-GitHub-Event": event, "X-Hub-Signature-256": hub(secret, data),
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
    })


def test_unknown_integration_is_404_and_a_ping_is_ignored(client: FlaskClient, db: object) -> None:
    integration = make_integration(make_org("acme"), secret=SECRET)
    assert_problem(github(client, integration.id + 1, b"{}"), 404)
    ping = github(client, integration.id, b'{"zen": "Keep it simple."}', event="ping")
    assert ping.status_code == 200 and ping.get_json() == {"status": "ignored", "eventIds": [], "reason": "ping"}


def test_an_unparseable_body_is_400(client: FlaskClient, db: object) -> None:
    integration = make_integration(make_org("acme"), secret=SECRET)
    assert_problem(github(client, integration.id, b"this is not json"), 400)
    assert counts() == (0, 0, 0)


def test_an_integration_without_a_secret_accepts_nothing(client: FlaskClient, db: object) -> None:
    integration = make_integration(make_org("acme"), secret=None)
    assert_problem(github(client, integration.id, body("github-push.json")), 401)
    refusals.flush()
    assert refusals.last_24h([integration.id]) == {integration.id: {"no-secret": 1}}


def test_a_body_over_the_limit_is_413(db: object, db_url: str) -> None:
    from jolli.api.app import create_app

    app = create_app({"DATABASE_URL": db_url, "WEBHOOK_MAX_CONTENT_LENGTH": 1000})
    integration = make_integration(make_org("acme"), secret=SECRET)
    assert_problem(github(app.test_client(), integration.id, b"{" + b" " * 2000 + b"}"), 413)
    assert counts() == (0, 0, 0)
    refusals.flush()
    assert refusals.last_24h([integration.id]) == {integration.id: {"too-large": 1}}


def test_the_same_delivery_three_times_at_once_makes_one_event(app: Flask, db: object) -> None:
    org = make_org("acme")
    integration = make_integration(org, secret=SECRET)
    source = make_source(org, "src", "github.com/Codertocat/Hello-World", branch="master")
    make_spaces(org, source, 3)
    data = body("github-push.json")
    barrier = threading.Barrier(3)
    statuses: list[tuple[int, str]] = []

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        response = github(client, integration.id, data, delivery="same-delivery")
        statuses.append((response.status_code, response.get_json()["status"]))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [(202, "accepted"), (202, "duplicate"), (202, "duplicate")]
    assert SourceEvent.select().count() == 1 and EventJob.select().count() == 1


def test_a_thousand_deliveries_make_a_thousand_events_each_space_processed_once(
        app: Flask, db: object, plugins: Any, settings: Any) -> None:
    import threading as th

    from eventhelp import RecordingHook

    from jolli.events.worker import run_workers

    recorder = RecordingHook()
    plugins.register(recorder, "recorder")
    org = make_org("acme")
    integration = make_integration(org, secret=SECRET)
    spaces: dict[str, list[int]] = {}
    for n in range(10):
        source = make_source(org, f"src{n}", f"github.com/acme/app{n}", branch="main")
        spaces[f"app{n}"] = make_spaces(org, source, 3)
    statuses: list[str] = []

    def sender(first: int) -> None:
        client = app.test_client()
        for n in range(first, 1000, 4):  # 100 pushes to each of 10 repos, from 4 senders at once
            name = f"app{n % 10}"
            data = (b'{"ref": "refs/heads/main", "before": "%040x", "after": "%040x", "repository": '
                    b'{"full_name": "acme/%s", "html_url": "https://github.com/acme/%s"}}'
                    % (n - 9 if n >= 10 else 0xFFFF, n + 1, name.encode(), name.encode()))  # a chain per repo
            statuses.append(github(client, integration.id, data).get_json()["status"])

    senders = [th.Thread(target=sender, args=(i,)) for i in range(4)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    assert Counter(statuses) == {"accepted": 1000}
    assert SourceEvent.select().count() == 1000 and EventJob.select().count() == 1000

    run_workers(settings, 4, th.Event(), once=True)
    assert not EventJob.select().where(EventJob.status != "done").exists()
    # Each (event, space) ended exactly once: processed (the hook ran once), or skipped as stale when a
    # later push of the same repo got there first (4 workers do not keep the order of arrival).
    calls = Counter((event_id, space) for event_id, space, _ in recorder.calls)
    assert set(calls.values()) == {1}
    ended = Counter((row.event_id, row.space_id) for row in EventSpace.select())
    assert len(ended) == 3000 and set(ended.values()) == {1}
    processed = {(r.event_id, r.space_id) for r in EventSpace.select().where(EventSpace.status == "processed")}
    # Waiting events of a branch coalesce to its newest: each repo's last push is processed in all its spaces.
    newest = {e.id for e in SourceEvent.select().where(SourceEvent.head_sha.in_(["%040x" % (n + 1) for n in range(990, 1000)]))}
    assert processed == set(calls) and {event for event, _ in processed} >= newest and len(processed) >= 30
    assert {(r.event_id, r.space_id) for r in EventSpace.select().where(EventSpace.status != "processed")} == {
        (r.event_id, r.space_id) for r in SpaceAudit.select().where(SpaceAudit.outcome == "skipped-stale")}
    for event in SourceEvent.select().where(SourceEvent.id.in_(newest)):
        assert event.status == "processed"
        assert Source.get_by_id(event.source_id).cursor_value == event.head_sha


@pytest.fixture
def plugins() -> Any:
    from jolli.testing.helpers import isolated_plugins

    with isolated_plugins() as manager:
        yield manager


@pytest.fixture
def settings() -> Any:
    from jolli.events.config import EventSettings

    return EventSettings(lease_seconds=5.0, backoff_seconds=0.05, poll_seconds=0.05, max_attempts=3)


def _both_paths(app: Flask) -> dict[str, Any]:
    """The app as served (``WebhookIntake`` in front) and the Flask view alone (the app's own ``wsgi_app``)."""
    from werkzeug.test import Client

    from jolli.api.webhooks import WebhookIntake

    assert isinstance(app.wsgi_app, WebhookIntake)
    return {"fast path": app.test_client(), "flask view": Client(app.wsgi_app.wsgi_app)}


def test_the_fast_path_and_the_flask_view_give_the_same_answers(db: object, db_url: str) -> None:
    from jolli.api.app import create_app

    app = create_app({"DATABASE_URL": db_url, "WEBHOOK_MAX_CONTENT_LENGTH": 20_000})
    org = make_org("acme")
    integration = make_integration(org, secret=SECRET)
    make_spaces(org, make_source(org, "src", "github.com/Codertocat/Hello-World", branch="master"), 2)
    data = body("github-push.json")
    other = data.replace(b"6113728f27ae82c7b1a177c8d03f9e96e0adf246", b"b" * 40)  # another push
    assert other != data
    answers: dict[str, list[tuple[int, Any]]] = {}
    for name, client in _both_paths(app).items():
        sent = [
            github(client, integration.id, data if name == "fast path" else other),  # accepted
            github(client, integration.id, data),  # a duplicate of the fast path's push
            github(client, integration.id, b'{"zen": "hi"}', event="ping"),
            github(client, integration.id, data, secret="wrong"),
            github(client, integration.id + 100, data),
            github(client, integration.id, b"not json"),
            github(client, integration.id, b"{" + b" " * 30_000 + b"}"),
            client.get(f"/api/webhooks/{integration.id}"),
            client.post(f"/api/webhooks/{integration.id}/", data=data),
            client.post("/api/webhooks/99999999999999999999999", data=data),
        ]
        answers[name] = [(r.status_code, r.get_json()) for r in sent]
        from jolli.store.db import database

        assert database.is_closed()  # every connection went back to the pool, errors included
    fast, view = answers["fast path"], answers["flask view"]
    assert [s for s, _ in fast] == [s for s, _ in view] == [202, 202, 200, 401, 404, 400, 413, 405, 404, 404]
    assert fast[0][1]["status"] == view[0][1]["status"] == "accepted"
    assert fast[0][1]["eventIds"] != view[0][1]["eventIds"]
    assert fast[1][1]["status"] == view[1][1]["status"] == "duplicate"
    assert fast[1][1]["duplicateEventIds"] == view[1][1]["duplicateEventIds"] == fast[0][1]["eventIds"]
    assert fast[2:] == view[2:]  # pings, and every problem document, to the byte
    assert SourceEvent.select().count() == 2 and EventJob.select().count() == 2


def test_an_accepted_delivery_is_logged_at_debug_and_a_duplicate_at_info(
        client: FlaskClient, db: object, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    org = make_org("acme")
    integration = make_integration(org, secret=SECRET)
    make_spaces(org, make_source(org, "src", "github.com/Codertocat/Hello-World", branch="master"), 1)
    data = body("github-push.json")
    with caplog.at_level(logging.INFO, logger="jolli.events.store"):
        github(client, integration.id, data, delivery="d-1")
        github(client, integration.id, data, delivery="d-2")
    lines = [r.getMessage() for r in caplog.records if r.name == "jolli.events.store"]
    assert len(lines) == 1 and "deliveryId=d-2 status=duplicate" in lines[0] and "reason=every change is already" in lines[0]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="jolli.events.store"):
        github(client, integration.id, data.replace(b"master", b"main"), delivery="d-3")
        make_source(org, "main", "github.com/Codertocat/Hello-World", branch="main")
        github(client, integration.id, data.replace(b"master", b"main"), delivery="d-4")
    lines = [r.getMessage() for r in caplog.records if r.name == "jolli.events.store"]
    assert any("deliveryId=d-4 status=accepted eventIds=[" in line for line in lines), lines


def test_a_signed_push_with_a_megabyte_ref_is_400_on_either_store(client: FlaskClient, db: object) -> None:
    integration = make_integration(make_org("acme"), secret=SECRET)
    make_source(make_org("other"), "src", "github.com/acme/app", branch=None)
    data = (b'{"ref": "refs/heads/' + b"b" * 1_000_000 + b'", "before": "' + b"1" * 40 + b'", "after": "'
            + b"2" * 40 + b'", "repository": {"full_name": "acme/app", "html_url": "https://github.com/acme/app"}}')
    assert_problem(github(client, integration.id, data), 400, "ref", text="at most 266")
    assert not SourceEvent.select().exists() and not WebhookDelivery.select().exists()
