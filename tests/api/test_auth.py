"""Bearer tokens and tenancy: one token acts for one org; another org's objects do not exist for it."""

from __future__ import annotations

import pytest
from apihelp import Api, assert_problem

PROTECTED = ["/api/sources", "/api/spaces", "/api/integrations", "/api/sources/1", "/api/spaces/1/sources"]


@pytest.mark.parametrize("path", PROTECTED)
def test_calls_without_a_token_are_401(anonymous: Api, path: str) -> None:
    response = anonymous.get(path)
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "jolli token create" in body["detail"]


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token jolli_abc", "bearer jolli_unknown", "Bearer x" * 200],
)
def test_malformed_or_unknown_tokens_are_401(api: Api, header: str) -> None:
    response = api.client.get("/api/sources", headers={"Authorization": header})
    assert_problem(response, 401)


def test_public_paths_need_no_token(anonymous: Api) -> None:
    assert anonymous.get("/api/health").status_code == 200
    assert anonymous.get("/api/openapi.json").status_code == 200
    webhook = anonymous.post("/api/webhooks/999999", {})  # verified by the provider's signature instead
    assert "Authorization: Bearer" not in webhook.get_data(as_text=True)


def test_token_is_case_sensitive_and_scheme_is_not(api: Api) -> None:
    ok = api.client.get("/api/sources", headers={"Authorization": f"bearer {api.token}"})
    assert ok.status_code == 200
    flipped = api.token[:-1] + (api.token[-1].lower() if api.token[-1].isupper() else api.token[-1].upper())
    if flipped != api.token:
        assert_problem(api.client.get("/api/sources", headers={"Authorization": f"Bearer {flipped}"}), 401)


def test_revoked_token_is_401(api: Api) -> None:
    from jolli.store.admin import revoke_token
    from jolli.store.models import ApiToken

    assert api.get("/api/sources").status_code == 200
    row = ApiToken.get(ApiToken.org == api.org)
    revoke_token(row.id)
    body = assert_problem(api.get("/api/sources"), 401)
    assert "revoked" in body["detail"]
    assert api.token not in api.get("/api/sources").get_data(as_text=True)


def test_only_the_hash_is_stored_and_use_is_recorded(api: Api) -> None:
    import hashlib

    from jolli.store.models import ApiToken

    row = ApiToken.get(ApiToken.org == api.org)
    assert row.token_hash == hashlib.sha256(api.token.encode()).hexdigest()
    assert api.token not in (row.token_hash, row.prefix) and api.token.startswith(row.prefix)
    assert row.last_used_at is None
    api.get("/api/sources")
    assert ApiToken.get_by_id(row.id).last_used_at is not None


def test_two_tokens_of_one_org_see_the_same_objects(api: Api) -> None:
    from apihelp import Api as ApiClient

    from jolli.store.admin import create_token

    _, second = create_token(api.org, "ci")
    created = api.created("/api/spaces", {"name": "shared"})
    other = ApiClient(api.client, second)
    assert other.get(f"/api/spaces/{created['id']}").get_json() == created


def test_other_orgs_objects_are_404_everywhere(api: Api, other_api: Api) -> None:
    integration = other_api.created("/api/integrations", {"provider": "github", "host": "github.com", "owner": "x"})
    source = other_api.created("/api/sources", {"name": "theirs", "type": "git", "repo": "github.com/x/y",
                                                "integrationId": integration["id"]})
    space = other_api.created("/api/spaces", {"name": "theirs"})
    other_api.created(f"/api/spaces/{space['id']}/sources", {"sourceId": source["id"]})
    mine = api.created("/api/spaces", {"name": "mine"})

    for path in (f"/api/sources/{source['id']}", f"/api/spaces/{space['id']}",
                 f"/api/integrations/{integration['id']}", f"/api/spaces/{space['id']}/sources"):
        body = assert_problem(api.get(path), 404)
        assert body["title"] == "Not found"  # exactly as for an id that does not exist
    assert_problem(api.patch(f"/api/sources/{source['id']}", {"name": "stolen"}), 404)
    assert_problem(api.patch(f"/api/sources/{source['id']}/cursor", {"value": "a" * 40}), 404)
    assert_problem(api.patch(f"/api/spaces/{space['id']}", {"name": "stolen"}), 404)
    assert_problem(api.patch(f"/api/integrations/{integration['id']}", {"name": "stolen"}), 404)
    assert_problem(api.delete(f"/api/sources/{source['id']}"), 404)
    assert_problem(api.delete(f"/api/spaces/{space['id']}"), 404)
    assert_problem(api.delete(f"/api/integrations/{integration['id']}"), 404)
    assert_problem(api.delete(f"/api/spaces/{space['id']}/sources/{source['id']}"), 404)
    assert_problem(api.post(f"/api/spaces/{space['id']}/sources", {"sourceId": source["id"]}), 404)
    assert_problem(api.post(f"/api/spaces/{mine['id']}/sources", {"sourceId": source["id"]}), 400, "sourceId")
    assert api.get("/api/sources").get_json()["items"] == []
    assert [s["name"] for s in api.get("/api/spaces").get_json()["items"]] == ["mine"]
    assert api.get("/api/integrations").get_json()["items"] == []
    assert_problem(api.get("/api/integrations?repo=github.com/x/y"), 404)
    # nothing of theirs changed
    assert other_api.get(f"/api/sources/{source['id']}").get_json()["name"] == "theirs"
    assert other_api.get(f"/api/spaces/{space['id']}/sources").get_json()["items"]
