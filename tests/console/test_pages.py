"""The console over Flask's test client: sign-in, the session cookie, CSRF, org isolation, bad input.

The browser tests (``test_browser.py``) drive the same pages in Chromium against ``jolli serve``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from jolli.store.admin import create_org, create_token, revoke_token
from jolli.store.models import Integration, Org, Source

#: Every console page and live update (``{source}``, ``{event}``: ids of the signed-in org).
URLS = ["/console/", "/console/overview/live", "/console/sources", "/console/sources/rows",
        "/console/sources/{source}", "/console/sources/{source}/live", "/console/events", "/console/events/rows",
        "/console/events/{event}", "/console/events/{event}/spaces", "/console/integrations",
        "/console/integrations/live", "/console/no-such-page"]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: FlaskClient, token: str) -> Any:
    form = client.get("/console/sign-in")
    return client.post("/console/sign-in", data={"token": token, "csrf_token": csrf_of(form.text),
                                                 "next": "/console/sources"})


@pytest.fixture
def seeded(jolli_app: Flask, jolli_org: Org) -> dict[str, Any]:
    """Two orgs, each with an integration and a source with one event."""
    from jolli.events.tables import SourceEvent

    other = create_org("other-org")
    made: dict[str, Any] = {}
    for org, tag in ((jolli_org, "mine"), (other, "theirs")):
        integration = Integration.create(org=org, provider="github", host="github.com", owner=tag,
                                         name=f"gh-{tag}", webhook_secret="s")
        source = Source.create(org=org, name=f"src-{tag}", type="git", repo=f"github.com/{tag}/repo-{tag}",
                               branch="main", integration=integration, cursor_value="c" * 40)
        event = SourceEvent.create(org=org, source=source, integration=integration, event_jrn=f"jrn::{tag}",
                                   head_sha="b" * 40, repo=source.repo, branch="main", status="failed")
        made[tag] = {"org": org, "source": source.id, "event": event.id, "integration": integration.id,
                     "token": create_token(org)[1]}
    return made


@pytest.fixture
def client(jolli_app: Flask, seeded: dict[str, Any]) -> FlaskClient:
    client = jolli_app.test_client()
    assert sign_in(client, seeded["mine"]["token"]).status_code == 303
    return client


def urls(ids: dict[str, Any]) -> list[str]:
    return [u.format(source=ids["source"], event=ids["event"]) for u in URLS]


def test_signed_out_every_page_redirects_to_sign_in(jolli_app: Flask, seeded: dict[str, Any]) -> None:
    client = jolli_app.test_client()
    for url in urls(seeded["mine"]):
        response = client.get(url)
        assert response.status_code == 303, url
        assert response.headers["Location"].startswith("/console/sign-in"), url
    live = client.get("/console/events/rows", headers={"HX-Request": "true"})
    assert live.headers["HX-Redirect"].startswith("/console/sign-in")  # a live update sends the page there
    assert client.post(f"/console/events/{seeded['mine']['event']}/retry").status_code == 303


def test_signing_in_returns_to_the_page_asked_for(jolli_app: Flask, seeded: dict[str, Any]) -> None:
    client = jolli_app.test_client()
    asked = client.get("/console/events?status=failed")
    form = client.get(asked.headers["Location"])
    assert 'name="next" value="/console/events?status=failed"' in form.text
    answer = client.post("/console/sign-in", data={"token": seeded["mine"]["token"], "csrf_token": csrf_of(form.text),
                                                   "next": "/console/events?status=failed"})
    assert answer.headers["Location"] == "/console/events?status=failed"


def test_sign_in_sets_a_strict_http_only_cookie_and_never_the_token(jolli_app: Flask,
                                                                     seeded: dict[str, Any]) -> None:
    client = jolli_app.test_client()
    response = sign_in(client, seeded["mine"]["token"])
    assert response.headers["Location"] == "/console/sources"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP here; over HTTPS it is Secure (next test)
    assert seeded["mine"]["token"] not in cookie
    page = client.get("/console/sources")
    assert page.status_code == 200 and seeded["mine"]["token"] not in page.text


def test_the_sign_in_page_sends_a_signed_in_session_on(client: FlaskClient) -> None:
    response = client.get("/console/sign-in?next=/console/events")
    assert response.status_code == 303 and response.headers["Location"] == "/console/events"
    assert client.get("/console/").status_code == 200  # still signed in


def test_cookie_is_secure_over_https(jolli_app: Flask, seeded: dict[str, Any]) -> None:
    client = jolli_app.test_client()
    form = client.get("/console/sign-in", base_url="https://localhost")
    assert "Secure" in form.headers["Set-Cookie"]


def test_sessions_survive_a_key_rotation_and_not_a_lost_key(jolli_app: Flask, seeded: dict[str, Any],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from jolli import secrets

    old, new = secrets.new_key(), secrets.new_key()
    monkeypatch.setenv("JOLLI_SECRET_KEY", old)
    client = jolli_app.test_client()
    sign_in(client, seeded["mine"]["token"])
    assert client.get("/console/events").status_code == 200
    monkeypatch.setenv("JOLLI_SECRET_KEY", f"{new},{old}")  # rotating: the new key signs, the old one verifies
    assert client.get("/console/events").status_code == 200
    monkeypatch.setenv("JOLLI_SECRET_KEY", new)  # the old key dropped: its signatures no longer count
    assert client.get("/console/events").status_code == 303


def test_a_wrong_token_is_refused(jolli_app: Flask, seeded: dict[str, Any]) -> None:
    client = jolli_app.test_client()
    response = sign_in(client, "jolli_not-a-real-token")
    assert response.status_code == 401 and "unknown or revoked" in response.text
    assert client.get("/console/").status_code == 303


def test_pages_show_the_orgs_data(client: FlaskClient, seeded: dict[str, Any]) -> None:
    for url in urls(seeded["mine"])[:-1]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:500])
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert "<script>" not in response.text  # no inline script
    sources = client.get("/console/sources").text
    assert "src-mine" in sources and 'href="https://github.com/mine/repo-mine"' in sources
    assert f'href="https://github.com/mine/repo-mine/commit/{"c" * 40}"' in sources
    source = client.get(f"/console/sources/{seeded['mine']['source']}").text
    assert "gh-mine" in source and "The cursor has not moved yet" in source
    events = client.get("/console/events?status=failed").text
    assert f"#{seeded['mine']['event']}" in events
    integrations = client.get("/console/integrations").text
    assert f"/api/webhooks/{seeded['mine']['integration']}" in integrations and "Copy" in integrations


def test_live_updates_replace_only_the_figures(client: FlaskClient) -> None:
    """The overview's live answer swaps each figure by id (out of band), leaving open details open."""
    page, live = client.get("/console/").text, client.get("/console/overview/live").text
    for part in ("chart", "hour-rows", "queue", "integration-health"):
        assert f'id="{part}"' in page and f'id="{part}" hx-swap-oob="true"' in live, part
    assert "<details>" not in live
    health = client.get("/console/integrations/live").text
    assert 'hx-swap-oob="true"' in health and "<details>" not in health


def test_a_refused_delivery_is_counted_on_the_integrations_page_by_reason(
        jolli_app: Flask, client: FlaskClient, seeded: dict[str, Any]) -> None:
    integration = seeded["mine"]["integration"]
    page = client.get("/console/integrations").text
    assert "Refused deliveries (24 h)</dt><dd>0</dd>" in page and "Refused, by reason" not in page
    forged = jolli_app.test_client().post(
        f"/api/webhooks/{integration}", data=b'{"ref": "refs/heads/main"}',
        headers={"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1",
                 "X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert forged.status_code == 401
    page = client.get("/console/integrations").text
    assert "Refused deliveries (24 h)</dt><dd>1</dd>" in page
    assert "Refused, by reason</dt><dd>bad-signature: 1</dd>" in page


def test_a_live_update_of_the_events_list_is_one_query(client: FlaskClient) -> None:
    from jolli.store.db import statements_run

    client.get("/console/events/rows?status=failed")  # the session's token was just checked
    before = statements_run()
    assert client.get("/console/events/rows?status=failed").status_code == 200
    assert statements_run() - before == 1


def test_one_org_never_sees_another(client: FlaskClient, seeded: dict[str, Any]) -> None:
    theirs = seeded["theirs"]
    for url in ("/console/sources", "/console/events", "/console/integrations", "/console/"):
        assert "theirs" not in client.get(url).text, url
    assert "theirs" not in client.get("/console/sources?q=repo").text
    for url in (f"/console/sources/{theirs['source']}", f"/console/events/{theirs['event']}"):
        assert client.get(url).status_code == 404, url


def test_an_unknown_console_address_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/console/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert client.get("/console/static/console.css").status_code == 200  # the static files still served


def test_an_action_without_the_csrf_token_is_refused(client: FlaskClient, seeded: dict[str, Any]) -> None:
    url = f"/console/events/{seeded['mine']['event']}/retry"
    assert client.post(url).status_code == 403
    assert client.post(url, data={"csrf_token": "forged"}).status_code == 403
    assert client.post("/console/sign-out").status_code == 403
    assert client.get("/console/").status_code == 200  # still signed in


def test_sign_out_ends_the_session(client: FlaskClient) -> None:
    token = csrf_of(client.get("/console/").text)
    response = client.post("/console/sign-out", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/console/sign-in"
    assert client.get("/console/").status_code == 303


def test_a_revoked_token_ends_its_sessions(client: FlaskClient, seeded: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from jolli.console import session

    monkeypatch.setattr(session, "RECHECK_SECONDS", 0)
    from jolli.store.models import ApiToken

    row = ApiToken.get(ApiToken.org == seeded["mine"]["org"].id, ApiToken.name.is_null())
    revoke_token(row.id)
    assert client.get("/console/").status_code == 303


@pytest.mark.parametrize("url", ["/console/events?status=nope", "/console/events?sourceId=x",
                                 "/console/events?after=-1", "/console/sources?enabled=maybe",
                                 "/console/sources?integrationId=0", "/console/events/99999999999999999999",
                                 "/console/sign-in?next=https://evil.example/",
                                 "/console/sign-in?next=//evil.example/console/"])
def test_bad_input_is_a_4xx_page(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    if url.startswith("/console/sign-in"):  # never sent on to another site
        assert "evil.example" not in response.text + response.headers.get("Location", "")
    else:
        assert 400 <= response.status_code < 500


def test_retry_is_refused_when_nothing_failed_and_queues_a_failed_space(client: FlaskClient,
                                                                       seeded: dict[str, Any]) -> None:
    from jolli.events.tables import EventSpace, SourceEvent

    event_id = seeded["mine"]["event"]
    token = csrf_of(client.get(f"/console/events/{event_id}").text)
    live = {"HX-Request": "true", "X-CSRF-Token": token}
    refused = client.post(f"/console/events/{event_id}/retry", headers=live)
    assert refused.status_code == 409 and "no failed space" in refused.text
    SourceEvent.update(affected_space_ids=[7]).where(SourceEvent.id == event_id).execute()
    EventSpace.create(event=event_id, space_id=7, status="dead", attempts=3, reason="boom")
    page = client.get(f"/console/events/{event_id}").text
    assert "boom" in page and "Retry space" in page
    done = client.post(f"/console/events/{event_id}/retry", data={"spaceId": "7"}, headers=live)
    assert done.status_code == 200 and "Retry queued for space 7" in done.text
    assert EventSpace.get(EventSpace.event == event_id).status == "retrying"
    EventSpace.update(status="dead").execute()
    plain = client.post(f"/console/events/{event_id}/retry", data={"csrf_token": token})  # a form, no script
    assert plain.status_code == 303 and plain.headers["Location"] == f"/console/events/{event_id}"
    assert EventSpace.get(EventSpace.event == event_id).status == "retrying"
    bad = client.post(f"/console/events/{event_id}/retry", data={"spaceId": "x"}, headers=live)
    assert bad.status_code == 400
