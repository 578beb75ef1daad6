"""``/api/integrations``: registration rules, write-only secrets, webhook URL, ``?repo=`` resolution."""

from __future__ import annotations

import pytest
from apihelp import Api, assert_problem

GITHUB_ACME = {"provider": "github", "host": "github.com", "owner": "acme"}


def test_create_hides_secrets_and_shows_the_webhook_url(api: Api) -> None:
    response = api.post("/api/integrations", {**GITHUB_ACME, "name": "acme-gh", "installationId": "77",
                                              "webhookSecret": "s3cr3t-hook", "accessToken": "ghp_tok3n",
                                              "apiBaseUrl": "https://api.github.com"})
    assert response.status_code == 201
    body = response.get_json()
    text = response.get_data(as_text=True)
    assert "s3cr3t-hook" not in text and "ghp_tok3n" not in text
    assert "webhookSecret" not in body and "accessToken" not in body
    assert body["webhookUrl"] == f"http://localhost/api/webhooks/{body['id']}"
    assert body["installationId"] == "77" and body["apiBaseUrl"] == "https://api.github.com"
    assert body["owner"] == "acme" and body["repos"] is None and body["name"] == "acme-gh"
    for path in (f"/api/integrations/{body['id']}", "/api/integrations"):
        listed = api.get(path).get_data(as_text=True)
        assert "s3cr3t-hook" not in listed and "ghp_tok3n" not in listed


def test_webhook_url_follows_the_request_host(api: Api) -> None:
    created = api.created("/api/integrations", GITHUB_ACME)
    body = api.get(f"/api/integrations/{created['id']}", base_url="https://jolli.example.com").get_json()
    assert body["webhookUrl"] == f"https://jolli.example.com/api/webhooks/{created['id']}"


def test_secrets_are_stored(api: Api) -> None:
    from jolli.store.models import Integration

    created = api.created("/api/integrations", {**GITHUB_ACME, "webhookSecret": "hook", "accessToken": "tok"})
    row = Integration.get_by_id(created["id"])
    assert (row.webhook_secret, row.access_token) == ("hook", "tok")
    api.patch(f"/api/integrations/{created['id']}", {"webhookSecret": "rotated"})
    assert Integration.get_by_id(created["id"]).webhook_secret == "rotated"


def test_provider_must_be_registered(api: Api) -> None:
    body = assert_problem(api.post("/api/integrations", {"provider": "sourcehut", "host": "git.sr.ht"}), 422,
                          "provider")
    assert "not available (plugin may not be installed)" in body["detail"]


def test_host_must_fit_the_provider(api: Api) -> None:
    assert_problem(api.post("/api/integrations", {"provider": "gitlab", "host": "github.com"}), 400, "host")
    assert_problem(api.post("/api/integrations", {"provider": "bitbucket", "host": "git.acme.io"}), 400, "host")
    assert_problem(api.post("/api/integrations", {"provider": "github", "host": "bad host!"}), 400, "host")
    body = api.created("/api/integrations", {"provider": "gitea", "host": "Git.Acme.IO", "owner": "team"})
    assert body["host"] == "git.acme.io"


def test_owner_shape(api: Api) -> None:
    assert_problem(api.post("/api/integrations", {"provider": "github", "host": "github.com", "owner": "a/b"}),
                   400, "owner")
    assert_problem(api.post("/api/integrations", {"provider": "github", "host": "github.com", "owner": "a b"}),
                   400, "owner")
    nested = api.created("/api/integrations", {"provider": "gitlab", "host": "gitlab.com", "owner": "group/sub"})
    assert nested["owner"] == "group/sub"


def test_owner_in_the_providers_own_spelling_is_canonical(api: Api) -> None:
    dc = {"provider": "bitbucket-datacenter", "host": "git.acme.io"}
    personal = api.created("/api/integrations", {**dc, "owner": "~jdoe", "repos": ["ssh://git@git.acme.io/~jdoe/notes.git"]})
    assert personal["owner"] == "_jdoe" and personal["repos"] == ["git.acme.io/_jdoe/notes"]
    assert api.created("/api/integrations", {**dc, "owner": "proj"})["owner"] == "PROJ"
    assert_problem(api.post("/api/integrations", {"provider": "github", "host": "github.com", "owner": "~jdoe"}),
                   400, "owner")


def test_repos_are_canonical_and_under_host_and_owner(api: Api) -> None:
    body = api.created("/api/integrations", {**GITHUB_ACME, "repos": [
        "https://github.com/acme/web.git", "git@github.com:acme/api.git", "github.com/acme/web"]})
    assert body["repos"] == ["github.com/acme/api", "github.com/acme/web"]
    assert_problem(api.post("/api/integrations", {**GITHUB_ACME, "repos": ["github.com/other/x"]}), 400, "repos.0")
    assert_problem(api.post("/api/integrations", {**GITHUB_ACME, "repos": ["gitlab.com/acme/x"]}), 400, "repos.0")
    assert_problem(api.post("/api/integrations", {**GITHUB_ACME, "repos": ["ok/no"]}), 400, "repos.0")
    assert_problem(api.post("/api/integrations", {**GITHUB_ACME, "repos": []}), 400, "repos")


def test_names_unique_per_org(api: Api, other_api: Api) -> None:
    api.created("/api/integrations", {**GITHUB_ACME, "name": "main"})
    assert_problem(api.post("/api/integrations", {**GITHUB_ACME, "name": "main"}), 409, "name")
    other_api.created("/api/integrations", {**GITHUB_ACME, "name": "main"})
    api.created("/api/integrations", GITHUB_ACME)  # unnamed ones never clash
    api.created("/api/integrations", GITHUB_ACME)


def test_unknown_and_mount_fields_refused(api: Api) -> None:
    assert_problem(api.post("/api/integrations", {**GITHUB_ACME, "webhookUrl": "http://x"}), 400, "webhookUrl")
    assert_problem(api.post("/api/integrations", {**GITHUB_ACME, "mountPath": "/x"}), 400, "mountPath")
    assert_problem(api.post("/api/integrations", {**GITHUB_ACME, "apiBaseUrl": "ftp://x"}), 400, "apiBaseUrl")


# --- ?repo= ------------------------------------------------------------------------------------------
def test_repo_query_answers_the_covering_integration(api: Api) -> None:
    acme = api.created("/api/integrations", {**GITHUB_ACME, "name": "acme"})
    api.created("/api/integrations", {"provider": "gitlab", "host": "gitlab.com", "owner": "acme"})
    body = api.get("/api/integrations?repo=git@github.com:acme/backend.git").get_json()
    assert [i["id"] for i in body["items"]] == [acme["id"]] and body["next"] is None


def test_repo_query_none_is_404_the_most_specific_wins_and_a_tie_is_409(api: Api) -> None:
    assert_problem(api.get("/api/integrations?repo=github.com/acme/backend"), 404, text="no integration covers")
    api.created("/api/integrations", {"provider": "github", "host": "github.com", "name": "all-gh"})
    acme = api.created("/api/integrations", {**GITHUB_ACME, "name": "acme"})
    found = api.get("/api/integrations?repo=github.com/acme/backend").get_json()["items"]
    assert [i["id"] for i in found] == [acme["id"]]  # an owner is more specific than the whole host
    twin = api.created("/api/integrations", {**GITHUB_ACME, "name": "acme-2"})
    body = assert_problem(api.get("/api/integrations?repo=github.com/acme/backend"), 409)
    assert sorted(c["id"] for c in body["candidates"]) == sorted([acme["id"], twin["id"]])
    assert {c["name"] for c in body["candidates"]} == {"acme", "acme-2"}
    assert_problem(api.get("/api/integrations?repo=backend"), 400, "repo")


def test_repo_query_uses_self_hosted_hosts_and_selected_repos(api: Api) -> None:
    gitea = api.created("/api/integrations", {"provider": "gitea", "host": "git.acme.io", "owner": "team",
                                              "repos": ["git.acme.io/team/svc"]})
    found = api.get("/api/integrations?repo=https://git.acme.io/team/svc.git").get_json()["items"]
    assert [i["id"] for i in found] == [gitea["id"]]
    assert_problem(api.get("/api/integrations?repo=git.acme.io/team/other"), 404)


def test_repo_query_ignores_other_orgs(api: Api, other_api: Api) -> None:
    other_api.created("/api/integrations", GITHUB_ACME)
    assert_problem(api.get("/api/integrations?repo=github.com/acme/backend"), 404)


# --- change and delete -------------------------------------------------------------------------------
def test_patch_revalidates_and_protects_linked_sources(api: Api) -> None:
    integration = api.created("/api/integrations", GITHUB_ACME)
    path = f"/api/integrations/{integration['id']}"
    api.created("/api/sources", {"name": "web", "type": "git", "repo": "github.com/acme/web",
                                 "integrationId": integration["id"]})
    assert api.patch(path, {"name": "renamed"}).get_json()["name"] == "renamed"
    assert api.patch(path, {"repos": ["github.com/acme/web"]}).get_json()["repos"] == ["github.com/acme/web"]
    assert_problem(api.patch(path, {"owner": "other"}), 400, "repos.0")  # selected repos must follow
    assert_problem(api.patch(path, {"owner": "other", "repos": None}), 409, text="uncovered")
    assert_problem(api.patch(path, {"repos": ["github.com/acme/api"]}), 409)
    assert_problem(api.patch(path, {"provider": "gitlab"}), 400, "host")
    assert api.patch(path, {"repos": None}).get_json()["repos"] is None


def test_delete_refused_while_sources_are_linked(api: Api) -> None:
    integration = api.created("/api/integrations", GITHUB_ACME)
    source = api.created("/api/sources", {"name": "web", "type": "git", "repo": "github.com/acme/web",
                                          "integrationId": integration["id"]})
    assert_problem(api.delete(f"/api/integrations/{integration['id']}"), 409, text=str(source["id"]))
    api.patch(f"/api/sources/{source['id']}", {"integrationId": None})
    assert api.delete(f"/api/integrations/{integration['id']}").status_code == 204
    assert_problem(api.get(f"/api/integrations/{integration['id']}"), 404)


@pytest.mark.parametrize("count", [3])
def test_list_paginates(api: Api, count: int) -> None:
    ids = [api.created("/api/integrations", GITHUB_ACME)["id"] for _ in range(count)]
    first = api.get("/api/integrations?limit=2").get_json()
    assert [i["id"] for i in first["items"]] == ids[:2]
    assert [i["id"] for i in api.get(f"/api/integrations?after={first['next']}").get_json()["items"]] == ids[2:]
