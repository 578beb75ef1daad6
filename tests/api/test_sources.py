"""``/api/sources``: create, read, list, change, delete, cursor; every validation rule; on both stores."""

from __future__ import annotations

import pytest
from apihelp import Api, assert_problem

SHA1 = "a" * 40
SHA2 = "b" * 40


@pytest.fixture
def integration(api: Api) -> dict:
    return api.created("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme"})


def test_create_returns_the_source_in_the_seed_shape(api: Api) -> None:
    response = api.post("/api/sources", {"name": "backend", "type": "git", "repo": "github.com/acme/backend",
                                         "branch": "main"})
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/sources/{body['id']}")
    assert body["name"] == "backend" and body["type"] == "git"
    assert body["repo"] == "github.com/acme/backend" and body["branch"] == "main"
    assert body["integrationId"] is None and body["enabled"] is True and body["cursor"] is None
    assert body["cursorVersion"] == 0 and body["fields"] is None
    assert body["createdAt"].endswith("+00:00") and body["updatedAt"]
    assert api.get(f"/api/sources/{body['id']}").get_json() == body


@pytest.mark.parametrize(
    "pasted",
    [
        "https://github.com/acme/backend.git",
        "git@github.com:acme/backend.git",
        "https://user:secret@github.com/acme/backend",
        "https://github.com/acme/backend/tree/main",
    ],
)
def test_repo_in_any_pasted_form_is_stored_canonical(api: Api, pasted: str) -> None:
    body = api.created("/api/sources", {"name": "backend", "type": "git", "repo": pasted})
    assert body["repo"] == "github.com/acme/backend"


def test_repo_that_is_not_a_coordinate_is_a_400_naming_repo(api: Api) -> None:
    for bad in ("acme/backend", "not a repo", "https://github.com/"):
        assert_problem(api.post("/api/sources", {"name": "x", "type": "git", "repo": bad}), 400, "repo")


def test_repo_credentials_never_echo_back(api: Api) -> None:
    response = api.post("/api/sources", {"name": "x", "type": "git", "repo": "https://u:hunter2@github.com/"})
    assert response.status_code == 400
    assert "hunter2" not in response.get_data(as_text=True)


def test_names_are_unique_per_org(api: Api, other_api: Api) -> None:
    api.created("/api/sources", {"name": "docs", "type": "file"})
    assert_problem(api.post("/api/sources", {"name": "docs", "type": "file"}), 409, "name", "already")
    other_api.created("/api/sources", {"name": "docs", "type": "file"})  # another org may use it


def test_name_must_follow_the_rule(api: Api) -> None:
    for bad in ("", "-lead", "has space", "x" * 129):
        assert_problem(api.post("/api/sources", {"name": bad, "type": "file"}), 400, "name")


def test_required_fields(api: Api) -> None:
    body = assert_problem(api.post("/api/sources", {}), 400)
    assert {"name", "type"} <= set(body["errors"])


def test_type_fields_must_be_an_object(api: Api) -> None:
    assert_problem(api.post("/api/sources", {"name": "x", "type": "file", "fields": ["url"]}), 400, "fields")
    assert_problem(api.post("/api/sources", {"name": "x", "type": "file", "fields": {"k": "a\x00"}}), 400,
                   "fields.k")


def test_type_fields_are_stored_as_the_type_returns_them(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from jolli.registry import get_plugins

    file_type = get_plugins().source_type("file")
    original = file_type.validate_fields

    def with_defaults(values: dict) -> dict:
        given = values.get("fields") or {}
        checked = original({**values, "fields": None})  # the built-in file type has no fields of its own
        return {**checked, "fields": {**given, "format": "zip"}}

    monkeypatch.setattr(file_type, "validate_fields", with_defaults)
    body = api.created("/api/sources", {"name": "x", "type": "file", "fields": {"url": "https://e.com/a.zip"}})
    assert body["fields"] == {"format": "zip", "url": "https://e.com/a.zip"}
    assert api.get(f"/api/sources/{body['id']}").get_json()["fields"] == body["fields"]
    patched = api.patch(f"/api/sources/{body['id']}", {"fields": {"url": "https://e.com/b.zip"}}).get_json()
    assert patched["fields"] == {"format": "zip", "url": "https://e.com/b.zip"}


def test_unknown_type_says_not_available(api: Api) -> None:
    body = assert_problem(api.post("/api/sources", {"name": "x", "type": "archive"}), 422, "type")
    assert "not available (plugin may not be installed)" in body["detail"]


def test_type_validates_its_own_fields(api: Api) -> None:
    assert_problem(api.post("/api/sources", {"name": "x", "type": "git", "branch": "bad..name"}), 400, "branch")
    assert_problem(api.post("/api/sources", {"name": "x", "type": "file", "repo": "github.com/a/b"}), 400, "repo")
    assert_problem(api.post("/api/sources", {"name": "x", "type": "file", "branch": "main"}), 400, "branch")


@pytest.mark.parametrize("key", ["mountPath", "path"])
def test_mount_paths_are_refused_with_the_reason(api: Api, key: str) -> None:
    body = assert_problem(api.post("/api/sources", {"name": "x", "type": "git", key: "/home/me/src"}), 400, key)
    assert "never accepts local mount paths" in body["detail"]
    source = api.created("/api/sources", {"name": "y", "type": "git"})
    assert_problem(api.patch(f"/api/sources/{source['id']}", {key: "/tmp"}), 400, key, "never accepts")


def test_unknown_fields_are_refused_listing_the_accepted_ones(api: Api) -> None:
    body = assert_problem(api.post("/api/sources", {"name": "x", "type": "git", "colour": "red"}), 400, "colour")
    assert "integrationId" in body["errors"]["colour"][0]
    assert_problem(api.post("/api/sources", {"name": "x", "type": "git", "id": 5}), 400, "id")
    assert_problem(api.post("/api/sources", {"name": "x", "type": "git", "cursor": {"value": SHA1}}), 400, "cursor")


def test_wrong_json_types_are_400(api: Api) -> None:
    assert_problem(api.post("/api/sources", {"name": "x", "type": "git", "integrationId": "5"}), 400, "integrationId")
    assert_problem(api.post("/api/sources", {"name": "x", "type": "git", "enabled": "maybe"}), 400, "enabled")
    assert_problem(api.post("/api/sources", {"name": 5, "type": "git"}), 400, "name")


def test_integration_must_exist_in_the_same_org(api: Api, other_api: Api) -> None:
    foreign = other_api.created("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme"})
    for integration_id in (foreign["id"], 999999):
        body = assert_problem(
            api.post("/api/sources", {"name": "x", "type": "git", "repo": "github.com/acme/a",
                                      "integrationId": integration_id}),
            400, "integrationId",
        )
        assert "does not exist in this org" in body["detail"]


def test_repo_must_be_covered_by_its_integration(api: Api, integration: dict) -> None:
    body = api.created("/api/sources", {"name": "ok", "type": "git", "repo": "github.com/acme/api",
                                        "integrationId": integration["id"]})
    assert body["integrationId"] == integration["id"]
    assert_problem(
        api.post("/api/sources", {"name": "x", "type": "git", "repo": "github.com/other/api",
                                  "integrationId": integration["id"]}),
        400, "repo", "not covered",
    )


def test_integration_needs_a_repo(api: Api, integration: dict) -> None:
    response = api.post("/api/sources", {"name": "x", "type": "git", "integrationId": integration["id"]})
    assert_problem(response, 400)
    assert set(response.get_json()["errors"]) & {"repo", "integrationId"}


def test_list_is_keyset_paginated(api: Api) -> None:
    ids = [api.created("/api/sources", {"name": f"s{i:02d}", "type": "file"})["id"] for i in range(7)]
    seen, after = [], None
    while True:
        query = "?limit=3" + (f"&after={after}" if after is not None else "")
        body = api.get("/api/sources" + query).get_json()
        assert len(body["items"]) <= 3
        seen += [item["id"] for item in body["items"]]
        after = body["next"]
        if after is None:
            break
    assert seen == ids
    assert api.get("/api/sources").get_json()["next"] is None


def test_list_filters_by_name_and_repo(api: Api) -> None:
    api.created("/api/sources", {"name": "a", "type": "git", "repo": "github.com/acme/a"})
    api.created("/api/sources", {"name": "b", "type": "git", "repo": "github.com/acme/b"})
    assert [s["name"] for s in api.get("/api/sources?name=b").get_json()["items"]] == ["b"]
    by_repo = api.get("/api/sources?repo=https://github.com/acme/a.git").get_json()["items"]
    assert [s["name"] for s in by_repo] == ["a"]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "after=-1", "after=x", "bogus=1",
                                   "limit=1&limit=2"])
def test_bad_list_parameters_are_400(api: Api, query: str) -> None:
    assert_problem(api.get("/api/sources?" + query), 400)


def test_patch_changes_only_given_fields_and_revalidates(api: Api, integration: dict) -> None:
    source = api.created("/api/sources", {"name": "web", "type": "git", "repo": "github.com/acme/web",
                                          "branch": "main", "enabled": False})
    body = api.patch(f"/api/sources/{source['id']}", {"branch": "release/1"}).get_json()
    assert body["branch"] == "release/1" and body["enabled"] is False and body["repo"] == "github.com/acme/web"
    linked = api.patch(f"/api/sources/{source['id']}", {"integrationId": integration["id"]})
    assert linked.status_code == 200 and linked.get_json()["integrationId"] == integration["id"]
    assert_problem(api.patch(f"/api/sources/{source['id']}", {"repo": "github.com/other/web"}), 400, "repo")
    unlinked = api.patch(f"/api/sources/{source['id']}", {"integrationId": None, "repo": "gitlab.com/g/s/web"})
    assert unlinked.get_json()["repo"] == "gitlab.com/g/s/web"
    assert unlinked.get_json()["integrationId"] is None


def test_patch_rename_conflict_and_type_change(api: Api) -> None:
    a = api.created("/api/sources", {"name": "a", "type": "git", "repo": "github.com/acme/a"})
    api.created("/api/sources", {"name": "b", "type": "file"})
    assert_problem(api.patch(f"/api/sources/{a['id']}", {"name": "b"}), 409, "name")
    assert api.patch(f"/api/sources/{a['id']}", {"name": "a"}).status_code == 200  # its own name
    assert_problem(api.patch(f"/api/sources/{a['id']}", {"type": "file"}), 400, "repo")
    assert_problem(api.patch(f"/api/sources/{a['id']}", {"type": "nope"}), 422, "type")
    assert_problem(api.patch(f"/api/sources/{a['id']}", {"name": None}), 400, "name")


def test_delete_removes_source_and_its_bindings(api: Api) -> None:
    source = api.created("/api/sources", {"name": "a", "type": "file"})
    space = api.created("/api/spaces", {"name": "docs"})
    api.created(f"/api/spaces/{space['id']}/sources", {"sourceId": source["id"]})
    assert api.delete(f"/api/sources/{source['id']}").status_code == 204
    assert_problem(api.get(f"/api/sources/{source['id']}"), 404)
    assert api.get(f"/api/spaces/{space['id']}/sources").get_json()["items"] == []
    assert_problem(api.delete(f"/api/sources/{source['id']}"), 404)


def test_missing_source_is_404(api: Api) -> None:
    for call in (api.get, api.delete):
        assert_problem(call("/api/sources/12345"), 404)
    assert_problem(api.patch("/api/sources/12345", {"name": "x"}), 404)
    assert_problem(api.patch("/api/sources/12345/cursor", {"value": SHA1}), 404)
    assert_problem(api.get(f"/api/sources/{2**70}"), 404)


# --- cursor ------------------------------------------------------------------------------------------
def test_cursor_is_checked_by_the_source_type(api: Api) -> None:
    git = api.created("/api/sources", {"name": "g", "type": "git"})
    assert_problem(api.patch(f"/api/sources/{git['id']}/cursor", {"value": "not-a-sha"}), 400, "value")
    body = api.patch(f"/api/sources/{git['id']}/cursor", {"value": SHA1.upper()}).get_json()
    assert body["cursor"]["value"] == SHA1 and body["cursor"]["updatedAt"].endswith("+00:00")
    assert body["cursorVersion"] == 1
    files = api.created("/api/sources", {"name": "f", "type": "file"})
    body = api.patch(f"/api/sources/{files['id']}/cursor", {"value": "2026-11-21T10:00:00Z"}).get_json()
    assert body["cursor"]["value"] == "2026-11-21T10:00:00Z"


def test_cursor_compare_and_swap(api: Api) -> None:
    source = api.created("/api/sources", {"name": "g", "type": "git"})
    path = f"/api/sources/{source['id']}/cursor"
    first = api.patch(path, {"value": SHA1, "expectedVersion": 0}).get_json()
    assert first["cursorVersion"] == 1
    body = assert_problem(api.patch(path, {"value": SHA2, "expectedVersion": 0}), 409, "expectedVersion")
    assert "version is 1" in body["detail"]
    assert api.get(f"/api/sources/{source['id']}").get_json()["cursor"]["value"] == SHA1
    assert api.patch(path, {"value": SHA2, "expectedVersion": 1}).get_json()["cursorVersion"] == 2


def test_cursor_changes_are_recorded_in_the_cursor_history(api: Api) -> None:
    from jolli.events.tables import CursorHistory

    source = api.created("/api/sources", {"name": "g", "type": "git"})
    api.patch(f"/api/sources/{source['id']}/cursor", {"value": SHA1})
    api.patch(f"/api/sources/{source['id']}/cursor", {"value": SHA2, "expectedVersion": 1})
    api.patch(f"/api/sources/{source['id']}/cursor", {"value": SHA1, "expectedVersion": 1})  # 409, not recorded
    rows = list(CursorHistory.select().where(CursorHistory.source == source["id"]).order_by(CursorHistory.version))
    assert [(r.version, r.old_value, r.new_value) for r in rows] == [(1, None, SHA1), (2, SHA1, SHA2)]
    assert all(r.worker.startswith("api token") for r in rows)


def test_cursor_body_rules(api: Api) -> None:
    source = api.created("/api/sources", {"name": "g", "type": "git"})
    path = f"/api/sources/{source['id']}/cursor"
    assert_problem(api.patch(path, {}), 400, "value")
    assert_problem(api.patch(path, {"value": SHA1, "updatedAt": "2026-01-01T00:00:00Z"}), 400, "updatedAt")
    assert_problem(api.patch(path, {"value": SHA1, "expectedVersion": "1"}), 400, "expectedVersion")
    assert_problem(api.patch(path, {"value": SHA1, "expectedVersion": -1}), 400, "expectedVersion")


def test_source_change_does_not_touch_the_cursor(api: Api) -> None:
    source = api.created("/api/sources", {"name": "g", "type": "git"})
    api.patch(f"/api/sources/{source['id']}/cursor", {"value": SHA1})
    body = api.patch(f"/api/sources/{source['id']}", {"branch": "dev"}).get_json()
    assert body["cursor"]["value"] == SHA1 and body["cursorVersion"] == 1
