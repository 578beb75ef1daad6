"""``GET /api/integrations/explain`` and App webhooks routed by installation, on one org holding 2 GitHub Apps
(4 installations), a personal token for the rest of github.com, 3 GitLab group tokens at nested levels and
a Bitbucket workspace (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from apihelp import Api, assert_problem
from github_app_fake import FakeApp

sys.path.insert(0, str(Path(__file__).parents[1] / "providers"))

from webhook_fixtures import body as fixture_body  # noqa: E402

from jolli.token_cache import TOKENS  # noqa: E402

A_SECRET, B_SECRET = "app-a-webhook-secret", "app-b-webhook-secret"


@pytest.fixture
def apps() -> Iterator[tuple[FakeApp, FakeApp]]:
    TOKENS.clear()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        a = FakeApp(app_id=1001, slug="docs-a", installations={"acme": 101, "jdoe": 102}, organizations={"acme"})
        b = FakeApp(app_id=2002, slug="docs-b", key_number=1,
                    installations={"globex": 201, "initech": 202, "acme": 203}, organizations={"globex", "initech", "acme"})
        yield a.register(mock), b.register(mock)
    TOKENS.clear()


@pytest.fixture
def fleet(api: Api, apps: tuple[FakeApp, FakeApp]) -> dict[str, dict[str, Any]]:
    """The org's integrations by name."""
    a, b = apps

    def app(fake: FakeApp, secret: str, **extra: Any) -> dict[str, Any]:
        return {"provider": "github", "host": "github.com", "credentialKind": "app", "appId": str(fake.app_id),
                "privateKey": fake.pem, "webhookSecret": secret, **extra}

    bodies = {
        "a-acme": app(a, A_SECRET, owner="acme"),
        "a-jdoe": app(a, A_SECRET, owner="jdoe"),
        "b-globex": app(b, B_SECRET, owner="globex"),
        "b-initech": app(b, B_SECRET, installationId="202"),
        "b-acme-sauce": app(b, B_SECRET, owner="acme", repos=["github.com/acme/secret-sauce"]),
        "gh-rest": {"provider": "github", "host": "github.com", "accessToken": "ghp_personal_fallback"},
        "gl-platform": {"provider": "gitlab", "host": "gitlab.com", "owner": "platform",
                        "credentialKind": "group-token", "accessToken": "glpat-platform-secret"},
        "gl-infra": {"provider": "gitlab", "host": "gitlab.com", "owner": "platform/infra",
                     "credentialKind": "group-token", "accessToken": "glpat-infra-secret",
                     "tokenExpiresAt": "2027-03-01T00:00:00Z"},
        "gl-k8s": {"provider": "gitlab", "host": "gitlab.com", "owner": "platform/infra/k8s",
                   "credentialKind": "group-token", "accessToken": "glpat-k8s-secret"},
        "bb-ws": {"provider": "bitbucket", "host": "bitbucket.org", "owner": "acme-ws",
                  "credentialKind": "workspace-token", "accessToken": "bb-workspace-secret"},
    }
    return {name: api.created("/api/integrations", {**body, "name": name}) for name, body in bodies.items()}


# repo, the integration that must cover it (None: none does)
COVERAGE = [
    ("github.com/acme/backend", "a-acme"), ("github.com/acme/web", "a-acme"), ("github.com/ACME/api", "a-acme"),
    ("github.com/acme/docs", "a-acme"), ("github.com/acme/secret-sauce", "b-acme-sauce"),
    ("github.com/jdoe/notes", "a-jdoe"), ("github.com/jdoe/dotfiles", "a-jdoe"),
    ("github.com/globex/site", "b-globex"), ("github.com/globex/api", "b-globex"),
    ("github.com/initech/tps", "b-initech"), ("github.com/initech/reports", "b-initech"),
    ("github.com/someone/else", "gh-rest"), ("github.com/octo/hello", "gh-rest"),
    ("gitlab.com/platform/web", "gl-platform"), ("gitlab.com/platform/api", "gl-platform"),
    ("gitlab.com/platform/infra/terraform", "gl-infra"), ("gitlab.com/platform/infra/net/vpn", "gl-infra"),
    ("gitlab.com/platform/infra/k8s/charts", "gl-k8s"), ("gitlab.com/platform/infra/k8s/ops/tools", "gl-k8s"),
    ("gitlab.com/platform/infrastructure/x", "gl-platform"), ("gitlab.com/platformer/x", None),
    ("gitlab.com/other/x", None), ("bitbucket.org/acme-ws/site", "bb-ws"), ("bitbucket.org/acme-ws/legacy", "bb-ws"),
    ("bitbucket.org/other-ws/x", None),
]


def url_forms(repo: str) -> list[str]:
    """The coordinate as given, and as a user pastes it (an HTTPS clone URL)."""
    return [repo, f"https://{repo}.git"]


TABLE = [(form, expected) for repo, expected in COVERAGE for form in url_forms(repo)]


def explained(api: Api, repo: str) -> dict[str, Any]:
    response = api.get("/api/integrations/explain", query_string={"repo": repo})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_explain_picks_the_right_integration_for_50_of_50_repos(api: Api, fleet: dict[str, dict[str, Any]]) -> None:
    assert len(TABLE) == 50
    ids = {created["id"]: name for name, created in fleet.items()}
    picked = {}
    for repo, expected in TABLE:
        answer = explained(api, repo)
        picked[repo] = ids.get(answer["integration"]["id"]) if answer["integration"] else None
        assert (answer["problem"] is None) == (expected is not None), answer
    wrong = {repo: (picked[repo], expected) for repo, expected in TABLE if picked[repo] != expected}
    assert wrong == {}
    assert sum(picked[repo] == expected for repo, expected in TABLE) == 50


def test_explain_lists_every_candidate_with_the_rule_that_set_it_aside(api: Api, fleet: dict[str, dict[str, Any]]) -> None:
    answer = explained(api, "https://gitlab.com/platform/infra/k8s/charts/-/tree/main")
    assert answer["repo"] == "gitlab.com/platform/infra/k8s/charts"
    assert answer["integration"]["name"] == "gl-k8s"
    rules = {c["name"]: (c["verdict"], c["rule"]) for c in answer["candidates"]}
    assert set(rules) == {"gl-platform", "gl-infra", "gl-k8s"}  # only the host's integrations are weighed
    assert rules["gl-k8s"][0] == "chosen" and "owner platform/infra/k8s" in rules["gl-k8s"][1]
    assert rules["gl-infra"] == ("set-aside", f"covers it, but #{fleet['gl-k8s']['id']} is more specific "
                                              "(owner platform/infra/k8s over owner platform/infra)")
    assert rules["gl-platform"][0] == "set-aside"
    assert answer["otherHosts"] == len(fleet) - 3
    assert answer["credential"] == {"kind": "group-token", "owner": "platform/infra/k8s", "expiresAt": None,
                                    "configured": True}
    assert answer["webhookUrl"] == fleet["gl-k8s"]["webhookUrl"]

    infra = explained(api, "gitlab.com/platform/infra/terraform")
    assert infra["credential"]["expiresAt"].startswith("2027-03-01")
    k8s_rule = next(c for c in infra["candidates"] if c["name"] == "gl-k8s")["rule"]
    assert k8s_rule == "owner platform/infra/k8s does not contain platform/infra"


def test_explain_of_an_app_repo_names_the_app_installation_and_one_webhook_url(
        api: Api, fleet: dict[str, dict[str, Any]], apps: tuple[FakeApp, FakeApp]) -> None:
    answer = explained(api, "git@github.com:acme/secret-sauce.git")
    assert answer["integration"]["name"] == "b-acme-sauce"
    assert answer["credential"]["kind"] == "app" and answer["credential"]["appId"] == "2002"
    assert answer["credential"]["installationId"] == "203" and answer["credential"]["owner"] == "acme"
    assert "installation 203" in answer["webhook"] and answer["webhookUrl"] == fleet["b-acme-sauce"]["webhookUrl"]
    rules = {c["name"]: c for c in answer["candidates"]}
    assert rules["b-acme-sauce"]["verdict"] == "chosen" and "selected repos" in rules["b-acme-sauce"]["rule"]
    assert rules["a-acme"]["verdict"] == "set-aside" and rules["gh-rest"]["verdict"] == "set-aside"
    web = {c["name"]: c for c in explained(api, "github.com/acme/web")["candidates"]}
    assert web["b-acme-sauce"]["rule"] == "github.com/acme/web is not among its 1 selected repo"
    text = json.dumps(answer)
    for secret in ("PRIVATE KEY", apps[1].pem.splitlines()[1], "ghp_personal_fallback", B_SECRET, "ghs_"):
        assert secret not in text


def test_explain_says_why_none_or_two_cover(api: Api, fleet: dict[str, dict[str, Any]]) -> None:
    none = explained(api, "gitlab.com/other/x")
    assert none["integration"] is None and "no integration covers gitlab.com/other/x" in none["problem"]
    assert all(c["verdict"] == "set-aside" for c in none["candidates"])
    twin = api.created("/api/integrations", {"provider": "gitlab", "host": "gitlab.com", "owner": "platform/infra",
                                             "name": "gl-infra-2", "accessToken": "glpat-twin"})
    tied = explained(api, "gitlab.com/platform/infra/terraform")
    assert tied["integration"] is None
    assert f"#{fleet['gl-infra']['id']}" in tied["problem"] and f"#{twin['id']}" in tied["problem"]
    assert sorted(c["name"] for c in tied["candidates"] if c["verdict"] == "tied") == ["gl-infra", "gl-infra-2"]


def test_explain_refuses_what_is_not_a_repo(api: Api) -> None:
    assert_problem(api.get("/api/integrations/explain", query_string={"repo": "backend"}), 400, "repo")
    assert_problem(api.get("/api/integrations/explain"), 400, "repo")


# --- one webhook URL per App ------------------------------------------------------------------------
def delivery(repo: str, installation: int | None) -> bytes:
    data = json.loads(fixture_body("github-push.json"))
    owner, name = repo.split("/")[1:]
    data = copy.deepcopy(data)
    data["repository"].update(name=name, full_name=f"{owner}/{name}", html_url=f"https://github.com/{owner}/{name}")
    data["repository"]["owner"].update(login=owner, name=owner)
    data["ref"] = "refs/heads/main"
    if installation is None:
        data.pop("installation", None)
    else:
        data["installation"] = {"id": installation, "node_id": "x"}
    return json.dumps(data).encode()


def post(api: Api, integration: dict[str, Any], secret: str, repo: str, installation: int | None) -> Any:
    payload = delivery(repo, installation)
    signature = "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return api.client.post(f"/api/webhooks/{integration['id']}", data=payload, headers={
        "X-GitHub-Event": "push", "X-GitHub-Delivery": f"d-{repo}-{installation}", "Content-Type": "application/json",
        "X-Hub-Signature-256": signature})


def test_each_apps_deliveries_reach_only_its_installations_sources(api: Api, fleet: dict[str, dict[str, Any]]) -> None:
    from jolli.events.tables import SourceEvent, WebhookDelivery

    sources = {}
    for repo in ("github.com/acme/backend", "github.com/acme/secret-sauce", "github.com/jdoe/notes",
                 "github.com/globex/site", "github.com/initech/tps"):
        sources[repo] = api.created("/api/sources", {"name": repo.replace("/", "-"), "type": "git", "repo": repo,
                                                     "branch": "main"})["id"]

    def stored() -> tuple[int, int]:
        return WebhookDelivery.select().count(), SourceEvent.select().count()

    routed = [  # (receiving integration, secret, repo, installation, integration the event is stored for)
        ("a-acme", A_SECRET, "github.com/acme/backend", 101, "a-acme"),
        ("a-jdoe", A_SECRET, "github.com/acme/backend", 101, "a-acme"),  # any of the App's URLs: one App, one URL
        ("a-acme", A_SECRET, "github.com/jdoe/notes", 102, "a-jdoe"),
        ("b-globex", B_SECRET, "github.com/globex/site", 201, "b-globex"),
        ("b-globex", B_SECRET, "github.com/initech/tps", 202, "b-initech"),
        ("b-initech", B_SECRET, "github.com/acme/secret-sauce", 203, "b-acme-sauce"),
    ]
    for via, secret, repo, installation, owner in routed:
        before = stored()
        response = post(api, fleet[via], secret, repo, installation)
        assert response.status_code == 202, (via, repo, response.get_json())
        event = SourceEvent.select().order_by(SourceEvent.id.desc()).first()
        assert (event.source_id, event.integration_id) == (sources[repo], fleet[owner]["id"]), (via, repo)
        assert stored()[1] == before[1] + (0 if via == "a-jdoe" else 1)  # the second acme push is a duplicate

    ignored = [  # (receiving integration, secret, repo, installation, reason)
        ("a-acme", A_SECRET, "github.com/globex/site", 201, "installation 201 is not covered by any integration of App 1001"),
        ("b-globex", B_SECRET, "github.com/acme/backend", 101, "installation 101 is not covered by any integration of App 2002"),
        ("a-acme", A_SECRET, "github.com/globex/site", 101, "repository github.com/globex/site is not covered by integration"),
        ("b-initech", B_SECRET, "github.com/acme/backend", 203, "repository github.com/acme/backend is not covered"),
        ("a-acme", A_SECRET, "github.com/acme/backend", None, "names no installation"),
    ]
    for via, secret, repo, installation, reason in ignored:
        before = stored()
        response = post(api, fleet[via], secret, repo, installation)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == "ignored" and reason in response.get_json()["reason"]
        assert stored() == before  # nothing stored

    wrong_secret = post(api, fleet["b-globex"], A_SECRET, "github.com/globex/site", 201)
    assert wrong_secret.status_code == 401
