"""Credentials in their own shapes over ``/api/integrations``: GitHub Apps verified against GitHub's API when
created or changed, the other providers' kinds, write-only secrets encrypted at rest."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import responses
from apihelp import Api, assert_problem
from github_app_fake import FakeApp, pem, rsa_key

from jolli.store import sql as raw
from jolli.token_cache import TOKENS

API = "https://api.github.com"


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    TOKENS.clear()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
    TOKENS.clear()


@pytest.fixture
def gh_app(mock: responses.RequestsMock) -> FakeApp:
    return FakeApp(app_id=4242, slug="jolli-docs", installations={"acme": 77, "jdoe": 78, "frozen": 79},
                   organizations={"acme", "frozen"}, suspended={79}).register(mock)


def app_body(gh_app: FakeApp, **extra: object) -> dict[str, object]:
    return {"provider": "github", "host": "github.com", "credentialKind": "app", "appId": str(gh_app.app_id),
            "privateKey": gh_app.pem, "webhookSecret": "app-hook-secret", **extra}


def test_an_app_integration_finds_its_installation_and_never_shows_its_key(api: Api, gh_app: FakeApp) -> None:
    from jolli.secrets import PREFIX
    from jolli.store.models import Integration

    response = api.post("/api/integrations", app_body(gh_app, owner="acme", name="docs-app"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["credentialKind"] == "app" and body["appId"] == "4242"
    assert body["installationId"] == "77" and body["owner"] == "acme"
    text = response.get_data(as_text=True) + api.get(f"/api/integrations/{body['id']}").get_data(as_text=True)
    assert "PRIVATE KEY" not in text and "privateKey" not in text and gh_app.pem.splitlines()[1] not in text
    stored = raw.rows("SELECT private_key FROM integration WHERE id = ?", (body["id"],))[0][0]
    assert stored.startswith(PREFIX) and "PRIVATE KEY" not in stored
    assert Integration.get_by_id(body["id"]).private_key == gh_app.pem  # read back decrypted


def test_the_installation_of_a_user_account_is_found_too(api: Api, gh_app: FakeApp) -> None:
    assert api.created("/api/integrations", app_body(gh_app, owner="jdoe"))["installationId"] == "78"


def test_an_installation_id_alone_gives_the_owner(api: Api, gh_app: FakeApp) -> None:
    body = api.created("/api/integrations", app_body(gh_app, installationId="78"))
    assert body["owner"] == "jdoe" and body["installationId"] == "78"


def test_a_key_that_does_not_parse_is_a_400_on_private_key(api: Api, gh_app: FakeApp) -> None:
    body = assert_problem(api.post("/api/integrations", app_body(gh_app, owner="acme", privateKey="-----BEGIN RSA "
                                                                 "PRIVATE KEY-----\nnonsense\n-----END RSA PRIVATE KEY-----")),
                          400, "privateKey", "PEM")
    assert "nonsense" not in str(body)


def test_a_key_of_another_app_is_a_400_naming_app_id_and_key(api: Api, gh_app: FakeApp) -> None:
    body = assert_problem(api.post("/api/integrations", app_body(gh_app, owner="acme", privateKey=pem(rsa_key(1)))),
                          400, "appId", "do not belong together")
    assert "privateKey" in body["errors"]


def test_an_app_not_installed_for_the_owner_is_a_400_with_the_install_link(api: Api, gh_app: FakeApp) -> None:
    assert_problem(api.post("/api/integrations", app_body(gh_app, owner="globex")), 400, "owner",
                   "https://github.com/apps/jolli-docs/installations/new")
    assert_problem(api.post("/api/integrations", app_body(gh_app, installationId="999")), 400, "installationId",
                   "has no installation 999")


def test_a_suspended_installation_is_a_400_saying_how_to_unsuspend(api: Api, gh_app: FakeApp) -> None:
    assert_problem(api.post("/api/integrations", app_body(gh_app, owner="frozen")), 400, "owner", "Unsuspend")


def test_an_installation_of_another_account_than_the_owner_is_a_400(api: Api, gh_app: FakeApp) -> None:
    assert_problem(api.post("/api/integrations", app_body(gh_app, owner="acme", installationId="78")), 400,
                   "installationId", "is on account jdoe")


def test_an_app_needs_its_id_key_and_owner(api: Api, gh_app: FakeApp) -> None:
    assert_problem(api.post("/api/integrations", app_body(gh_app, owner="acme", appId=None)), 400, "appId")
    assert_problem(api.post("/api/integrations", app_body(gh_app, owner="acme", privateKey=None)), 400, "privateKey")
    assert_problem(api.post("/api/integrations", app_body(gh_app)), 400, "owner")
    assert_problem(api.post("/api/integrations", app_body(gh_app, owner="acme", appId="12 34")), 400, "appId")


def test_an_unreachable_api_is_a_400_on_api_base_url(api: Api, gh_app: FakeApp) -> None:
    assert_problem(api.post("/api/integrations", app_body(gh_app, host="ghe.acme.io", owner="acme",
                                                          apiBaseUrl="https://ghe.acme.io/api/v3")),
                   400, "apiBaseUrl")


def test_changing_the_owner_looks_the_installation_up_again(api: Api, gh_app: FakeApp) -> None:
    created = api.created("/api/integrations", app_body(gh_app, owner="acme"))
    changed = api.patch(f"/api/integrations/{created['id']}", {"owner": "jdoe"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["installationId"] == "78"
    assert_problem(api.patch(f"/api/integrations/{created['id']}", {"owner": "frozen"}), 400, "owner", "suspended")
    lookups = gh_app.jwts[:]
    assert api.patch(f"/api/integrations/{created['id']}", {"name": "renamed"}).status_code == 200
    assert gh_app.jwts == lookups  # a change to nothing of the credential asks GitHub nothing


def test_switching_to_a_token_drops_the_app_fields(api: Api, gh_app: FakeApp) -> None:
    from jolli.store.models import Integration

    created = api.created("/api/integrations", app_body(gh_app, owner="acme"))
    body = api.patch(f"/api/integrations/{created['id']}", {"credentialKind": "token", "accessToken": "ghp_x"})
    assert body.status_code == 200, body.get_json()
    assert body.get_json()["credentialKind"] == "token" and body.get_json()["appId"] is None
    row = Integration.get_by_id(created["id"])
    assert row.private_key is None and row.access_token == "ghp_x"


def test_a_field_of_another_kind_is_refused(api: Api, gh_app: FakeApp) -> None:
    assert_problem(api.post("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme",
                                                  "accessToken": "t", "privateKey": gh_app.pem}), 400, "privateKey")
    assert_problem(api.post("/api/integrations", app_body(gh_app, owner="acme", accessToken="ghp_x")), 400,
                   "accessToken", "another credential kind")


def test_changing_the_kind_keeps_a_token_the_new_kind_uses(api: Api) -> None:
    from jolli.store.models import Integration

    created = api.created("/api/integrations", {"provider": "gitlab", "host": "gitlab.com", "owner": "platform",
                                                "accessToken": "glpat-kept"})
    assert created["credentialKind"] == "personal-token"
    changed = api.patch(f"/api/integrations/{created['id']}", {"credentialKind": "group-token"})
    assert changed.status_code == 200 and changed.get_json()["credentialKind"] == "group-token"
    assert Integration.get_by_id(created["id"]).access_token == "glpat-kept"
    assert_problem(api.post("/api/integrations", {"provider": "gitlab", "host": "gitlab.com",
                                                  "credentialKind": "app"}), 400, "credentialKind", "group-token")


# --- the other providers' kinds ---------------------------------------------------------------------
@pytest.mark.parametrize(("body", "field"), [
    ({"provider": "gitlab", "host": "gitlab.com", "credentialKind": "group-token", "accessToken": "glpat-x"}, "owner"),
    ({"provider": "gitlab", "host": "gitlab.com", "owner": "platform", "credentialKind": "project-token",
      "accessToken": "glpat-x"}, "repos"),
    ({"provider": "gitlab", "host": "gitlab.com", "owner": "platform", "credentialKind": "group-token"}, "accessToken"),
    ({"provider": "bitbucket", "host": "bitbucket.org", "credentialKind": "workspace-token", "accessToken": "t"}, "owner"),
    ({"provider": "bitbucket", "host": "bitbucket.org", "owner": "ws", "credentialKind": "repository-token",
      "accessToken": "t", "repos": ["bitbucket.org/ws/a", "bitbucket.org/ws/b"]}, "repos"),
    ({"provider": "bitbucket", "host": "bitbucket.org", "owner": "ws", "credentialKind": "app-password",
      "appPassword": "pw"}, "username"),
    ({"provider": "bitbucket", "host": "bitbucket.org", "owner": "ws", "credentialKind": "app-password",
      "username": "jdoe"}, "appPassword"),
])
def test_each_kind_names_what_it_lacks(api: Api, body: dict[str, object], field: str) -> None:
    assert_problem(api.post("/api/integrations", body), 400, field)


def test_the_other_kinds_are_stored_and_shown_without_secrets(api: Api) -> None:
    from jolli.store.models import Integration

    bodies = [
        {"provider": "gitlab", "host": "gitlab.com", "owner": "platform/infra", "credentialKind": "group-token",
         "accessToken": "glpat-group-secret", "tokenExpiresAt": "2027-01-31T00:00:00Z"},
        {"provider": "gitlab", "host": "gitlab.com", "owner": "platform", "credentialKind": "project-token",
         "accessToken": "glpat-project-secret", "repos": ["gitlab.com/platform/web"]},
        {"provider": "gitlab", "host": "gitlab.com", "credentialKind": "personal-token", "accessToken": "glpat-me"},
        {"provider": "bitbucket", "host": "bitbucket.org", "owner": "ws", "credentialKind": "workspace-token",
         "accessToken": "bb-workspace-secret"},
        {"provider": "bitbucket", "host": "bitbucket.org", "owner": "ws", "credentialKind": "app-password",
         "username": "jdoe", "appPassword": "bb-app-password", "repos": ["bitbucket.org/ws/site"]},
        {"provider": "bitbucket-datacenter", "host": "git.acme.io", "owner": "PROJ", "credentialKind": "http-token",
         "accessToken": "bbdc-secret"},
        {"provider": "gitea", "host": "code.acme.io", "owner": "team", "credentialKind": "token",
         "accessToken": "gitea-secret"},
    ]
    for body in bodies:
        response = api.post("/api/integrations", body)
        assert response.status_code == 201, response.get_json()
        created = response.get_json()
        assert created["credentialKind"] == body["credentialKind"]
        text = response.get_data(as_text=True)
        for secret in ("glpat-", "-secret", "bb-app-password"):
            assert secret not in text
    listed = api.get("/api/integrations").get_data(as_text=True)
    assert "secret" not in listed and "bb-app-password" not in listed and "glpat" not in listed
    password = Integration.get(Integration.username == "jdoe")
    assert password.app_password == "bb-app-password"
    stored = raw.rows("SELECT app_password FROM integration WHERE id = ?", (password.id,))[0][0]
    assert stored.startswith("jolli:fernet:")
    assert api.get("/api/integrations").get_json()["items"][0]["tokenExpiresAt"].startswith("2027-01-31")


@responses.activate
def test_an_app_password_is_sent_as_basic_and_a_token_as_bearer(api: Api) -> None:
    from jolli.coordinates import RepoCoordinate
    from jolli.integration_ref import ref_of
    from jolli.registry import get_plugins
    from jolli.store.models import Integration

    basic = api.created("/api/integrations", {"provider": "bitbucket", "host": "bitbucket.org", "owner": "ws",
                                               "credentialKind": "app-password", "username": "jdoe",
                                               "appPassword": "bb-app-password"})
    token = api.created("/api/integrations", {"provider": "gitlab", "host": "gitlab.com", "owner": "platform",
                                               "credentialKind": "group-token", "accessToken": "glpat-group"})
    responses.get("https://api.bitbucket.org/2.0/repositories/ws/site/refs/branches/main",
                  json={"name": "main", "target": {"hash": "b" * 40}})
    responses.get("https://gitlab.com/api/v4/projects/platform%2Fweb/repository/branches/main",
                  json={"name": "main", "commit": {"id": "c" * 40}})
    for created, repo in ((basic, RepoCoordinate("bitbucket.org", "ws", "site")),
                          (token, RepoCoordinate("gitlab.com", "platform", "web"))):
        row = Integration.get_by_id(created["id"])
        get_plugins().provider(row.provider).client(ref_of(row)).branch_head(repo, "main")
    sent = [call.request.headers["Authorization"] for call in responses.calls]
    assert sent == ["Basic " + base64.b64encode(b"jdoe:bb-app-password").decode(), "Bearer glpat-group"]


def test_the_checks_and_compare_of_a_linked_source_use_the_apps_installation_token(
        api: Api, gh_app: FakeApp, mock: responses.RequestsMock) -> None:
    from jolli.events.staleness import provider_client
    from jolli.store.models import Source

    created = api.created("/api/integrations", app_body(gh_app, owner="acme"))
    source = api.created("/api/sources", {"name": "backend", "type": "git", "repo": "github.com/acme/backend",
                                          "branch": "main", "integrationId": created["id"]})
    mock.get(f"{API}/repos/acme/backend/branches/main", json={"name": "main", "commit": {"sha": "d" * 40}},
             headers={"ETag": '"v1"'})
    mock.get(f"{API}/repos/acme/backend/compare/{'a' * 40}...{'d' * 40}",
             json={"status": "ahead", "ahead_by": 1, "behind_by": 0, "files": [{"filename": "README.md"}]})
    found = provider_client(Source.get_by_id(source["id"]))
    assert found is not None
    client, repo = found
    assert client.branch_state(repo, "main").head == "d" * 40  # what the scheduled checks call
    assert client.compare(repo, "a" * 40, "d" * 40).files == ("README.md",)
    calls = [c.request for c in mock.calls if "/repos/" in c.request.url]
    assert [c.headers["Authorization"] for c in calls] == [f"Bearer {gh_app.minted[0]}"] * 2
    assert gh_app.mint_calls(mock) == 1


def test_a_reinstalled_app_is_found_again_by_patching_the_installation_away(api: Api, gh_app: FakeApp) -> None:
    created = api.created("/api/integrations", app_body(gh_app, owner="acme"))
    gh_app.installations["acme"] = 90  # uninstalled and installed again: a new installation id
    again = api.patch(f"/api/integrations/{created['id']}", {"installationId": None})
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["installationId"] == "90" and again.get_json()["owner"] == "acme"
