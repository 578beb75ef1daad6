"""No secret reaches a log line, at any level, from any logger: webhook secrets, access tokens, API tokens and
database passwords, while integrations, tokens and deliveries are created, changed and refused."""

from __future__ import annotations

import hashlib
import hmac
import logging
import urllib.error
import urllib.request
from typing import Any

import pytest
from apihelp import Api
from flask.testing import FlaskClient
from served import JolliServer

WEBHOOK_SECRET = "whsec-NEVER-LOGGED-1"
NEW_SECRET = "whsec-NEVER-LOGGED-2"
ACCESS_TOKEN = "ghp-NEVER-LOGGED-3"
DB_PASSWORD = "dbpw-NEVER-LOGGED-4"
PUSH = (b'{"ref":"refs/heads/main","before":"' + b"0" * 40 + b'","after":"' + b"c" * 40
        + b'","repository":{"full_name":"acme/app","html_url":"https://github.com/acme/app"}}')


def all_log_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(f"{record.name} {record.levelname} {record.getMessage()}")
        if record.exc_info and record.exc_info[1] is not None:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


def exercise(api: Api, client: FlaskClient) -> list[str]:
    """Create, change, use and misuse an integration and a token; every secret used."""
    from jolli.store.admin import create_token

    created = api.created("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme",
                                                "webhookSecret": WEBHOOK_SECRET, "accessToken": ACCESS_TOKEN})
    iid = created["id"]
    assert api.patch(f"/api/integrations/{iid}", {"webhookSecret": NEW_SECRET,
                                                  "accessToken": ACCESS_TOKEN + "x"}).status_code == 200
    assert api.get("/api/integrations").status_code == 200
    _row, token = create_token(api.org, "second")
    for secret in (NEW_SECRET, WEBHOOK_SECRET):  # the right one, then a wrong one (a refusal)
        signature = "sha256=" + hmac.new(secret.encode(), PUSH, hashlib.sha256).hexdigest()
        client.post(f"/api/webhooks/{iid}", data=PUSH, headers={
            "X-GitHub-Event": "push", "X-Hub-Signature-256": signature, "Content-Type": "application/json"})
    assert api.post("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme",
                                          "name": "dup", "webhookSecret": "x" * 513}).status_code == 400
    return [WEBHOOK_SECRET, NEW_SECRET, ACCESS_TOKEN, ACCESS_TOKEN + "x", token,
            hmac.new(NEW_SECRET.encode(), PUSH, hashlib.sha256).hexdigest()]


def test_no_secret_in_any_log_line_at_debug(api: Api, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("peewee", "peewee.pool", "psycopg", "jolli", "werkzeug", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    secrets = exercise(api, client)
    text = all_log_text(caplog)
    assert 'INSERT INTO "integration"' in text and "not logged" in text  # the SQL logger did log, without values
    assert "jolli:fernet:" not in text  # not even encrypted
    for secret in secrets:
        assert secret not in text


@pytest.fixture
def pg_url_with_password(pg_url: str) -> str:
    """The test database's URL with a password in it (the local server trusts loopback, so it is accepted)."""
    scheme, rest = pg_url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{DB_PASSWORD}@{host}"


def test_no_database_password_in_any_log_line(pg_url_with_password: str, caplog: pytest.LogCaptureFixture) -> None:
    from jolli.api.app import create_app
    from jolli.store import db as store_db
    from jolli.store.admin import create_org, create_token
    from jolli.store.migrate import upgrade

    caplog.set_level(logging.DEBUG)
    database = store_db.open_database(pg_url_with_password)
    upgrade(database)
    app = create_app({"DATABASE_URL": pg_url_with_password})
    _row, token = create_token(create_org("acme"), "t")
    client = app.test_client()
    assert client.get("/api/sources", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    database.close()
    unreachable = pg_url_with_password.replace("127.0.0.1:5432", "127.0.0.1:1")
    bad = create_app({"DATABASE_URL": unreachable}).test_client()
    response: Any = bad.get("/api/sources", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    store_db.close_database()
    text = all_log_text(caplog)
    assert DB_PASSWORD not in text and DB_PASSWORD not in response.get_data(as_text=True)


def test_no_secret_in_the_log_of_jolli_serve_at_debug(logged_server: JolliServer) -> None:
    """The issue's case: ``jolli serve --log-level debug --access-log`` while integrations are created and changed
    over HTTP and deliveries come in."""
    org = logged_server.new_org()
    status, created = org.api("POST", "/api/integrations", {
        "provider": "github", "host": "github.com", "owner": "acme", "webhookSecret": WEBHOOK_SECRET,
        "accessToken": ACCESS_TOKEN})
    assert status == 201, created
    assert org.api("PATCH", f"/api/integrations/{created['id']}", {"webhookSecret": NEW_SECRET})[0] == 200
    for secret in (NEW_SECRET, "wrong"):
        signature = "sha256=" + hmac.new(secret.encode(), PUSH, hashlib.sha256).hexdigest()
        request = urllib.request.Request(f"{logged_server.url}/api/webhooks/{created['id']}", data=PUSH, headers={
            "X-GitHub-Event": "push", "X-Hub-Signature-256": signature, "Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    log = logged_server.log.read_text()
    assert 'INSERT INTO "integration"' in log and "webhook refused" in log  # debug SQL and refusals are logged
    for secret in (WEBHOOK_SECRET, NEW_SECRET, ACCESS_TOKEN, org.token, "jolli:fernet:"):
        assert secret not in log


APP_PASSWORD = "bbpw-NEVER-LOGGED-5"


def test_no_app_key_app_password_or_installation_token_in_any_log_line_or_answer(
        api: Api, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    """A GitHub App integration created (its key checked against GitHub), used (a token minted, a 401, a new
    token), explained and listed; an app password stored and used: none of their secrets is logged or shown."""
    import responses
    from github_app_fake import FakeApp

    from jolli.coordinates import RepoCoordinate
    from jolli.http import ProviderError
    from jolli.integration_ref import ref_of
    from jolli.registry import get_plugins
    from jolli.store.models import Integration
    from jolli.token_cache import TOKENS

    caplog.set_level(logging.DEBUG)
    for name in ("peewee", "jolli", "werkzeug", "urllib3", "responses"):
        caplog.set_level(logging.DEBUG, logger=name)
    TOKENS.clear()
    answers = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeApp(app_id=5150, slug="secret-app", installations={"acme": 9}, organizations={"acme"}).register(mock)
        created = api.post("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme",
                                                 "credentialKind": "app", "appId": "5150", "privateKey": fake.pem,
                                                 "name": "app"})
        assert created.status_code == 201, created.get_json()
        bad = api.post("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme",
                                             "credentialKind": "app", "appId": "5150", "name": "bad",
                                             "privateKey": fake.pem[:200] + fake.pem[260:]})
        assert bad.status_code == 400
        password = api.post("/api/integrations", {"provider": "bitbucket", "host": "bitbucket.org", "owner": "ws",
                                                  "credentialKind": "app-password", "username": "jdoe",
                                                  "appPassword": APP_PASSWORD})
        assert password.status_code == 201
        mock.get("https://api.github.com/repos/acme/app/branches/main", status=401, json={"message": "Bad credentials"})
        mock.get("https://api.bitbucket.org/2.0/repositories/ws/app/refs/branches/main", status=401,
                 json={"error": {"message": "Unauthorized"}})
        for row_id, repo in ((created.get_json()["id"], RepoCoordinate("github.com", "acme", "app")),
                             (password.get_json()["id"], RepoCoordinate("bitbucket.org", "ws", "app"))):
            row = Integration.get_by_id(row_id)
            try:
                get_plugins().provider(row.provider).client(ref_of(row)).branch_head(repo, "main")
            except ProviderError as exc:
                logging.getLogger("jolli.test").warning("call failed: %s", exc)
                answers.append(str(exc))
        for response in (created, bad, password, api.get("/api/integrations"),
                         api.get("/api/integrations/explain", query_string={"repo": "github.com/acme/app"}),
                         api.get("/api/integrations/explain", query_string={"repo": "bitbucket.org/ws/app"})):
            answers.append(response.get_data(as_text=True))
    TOKENS.clear()
    assert len(fake.minted) == 2  # the first token, then one more after the 401
    text = all_log_text(caplog) + "\n".join(answers)
    import base64

    for secret in [*fake.minted, *fake.pem.splitlines()[1:-1], APP_PASSWORD,
                   base64.b64encode(f"jdoe:{APP_PASSWORD}".encode()).decode(), "jolli:fernet:"]:
        assert secret not in text
