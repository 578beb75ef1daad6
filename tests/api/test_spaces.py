"""``/api/spaces`` and ``/api/spaces/:id/sources`` (bindings), on both stores."""

from __future__ import annotations

import pytest
from apihelp import Api, assert_problem


@pytest.fixture
def space(api: Api) -> dict:
    return api.created("/api/spaces", {"name": "docs"})


@pytest.fixture
def source(api: Api) -> dict:
    return api.created("/api/sources", {"name": "backend", "type": "git", "repo": "github.com/acme/backend"})


def test_space_lifecycle(api: Api) -> None:
    response = api.post("/api/spaces", {"name": "docs"})
    assert response.status_code == 201
    created = response.get_json()
    assert response.headers["Location"].endswith(f"/api/spaces/{created['id']}")
    assert set(created) == {"id", "name", "createdAt", "updatedAt"}
    assert api.get(f"/api/spaces/{created['id']}").get_json() == created
    renamed = api.patch(f"/api/spaces/{created['id']}", {"name": "handbook"}).get_json()
    assert renamed["name"] == "handbook" and renamed["updatedAt"] >= created["updatedAt"]
    assert [s["name"] for s in api.get("/api/spaces").get_json()["items"]] == ["handbook"]
    assert api.delete(f"/api/spaces/{created['id']}").status_code == 204
    assert_problem(api.get(f"/api/spaces/{created['id']}"), 404)


def test_space_names_unique_per_org_and_valid(api: Api, other_api: Api, space: dict) -> None:
    assert_problem(api.post("/api/spaces", {"name": "docs"}), 409, "name")
    other_api.created("/api/spaces", {"name": "docs"})
    api.created("/api/spaces", {"name": "other"})
    assert_problem(api.patch(f"/api/spaces/{space['id']}", {"name": "other"}), 409, "name")
    assert_problem(api.post("/api/spaces", {"name": "bad name"}), 400, "name")
    assert_problem(api.post("/api/spaces", {"name": "x", "mountPath": "/srv"}), 400, "mountPath")
    assert_problem(api.post("/api/spaces", {"name": "x", "owner": "me"}), 400, "owner")
    assert_problem(api.post("/api/spaces", {}), 400, "name")


def test_spaces_paginate(api: Api) -> None:
    ids = [api.created("/api/spaces", {"name": f"s{i}"})["id"] for i in range(5)]
    first = api.get("/api/spaces?limit=2").get_json()
    assert [s["id"] for s in first["items"]] == ids[:2] and first["next"] == ids[1]
    rest = api.get(f"/api/spaces?limit=10&after={first['next']}").get_json()
    assert [s["id"] for s in rest["items"]] == ids[2:] and rest["next"] is None


def test_binding_lifecycle(api: Api, space: dict, source: dict) -> None:
    path = f"/api/spaces/{space['id']}/sources"
    pattern = "jrn::path:/home/acme/sources/github.com/acme/backend/**"
    binding = api.created(path, {"sourceId": source["id"], "jrnPattern": pattern, "enabled": False})
    assert binding == {"spaceId": space["id"], "sourceId": source["id"], "jrnPattern": pattern,
                       "enabled": False, "createdAt": binding["createdAt"]}
    assert api.get(path).get_json() == {"items": [binding], "next": None}
    assert api.delete(f"{path}/{source['id']}").status_code == 204
    assert api.get(path).get_json()["items"] == []
    assert_problem(api.delete(f"{path}/{source['id']}"), 404, "sourceId")


def test_binding_defaults_enabled_without_pattern(api: Api, space: dict, source: dict) -> None:
    binding = api.created(f"/api/spaces/{space['id']}/sources", {"sourceId": source["id"]})
    assert binding["enabled"] is True and binding["jrnPattern"] is None


def test_binding_is_unique_per_space_and_source(api: Api, space: dict, source: dict) -> None:
    path = f"/api/spaces/{space['id']}/sources"
    api.created(path, {"sourceId": source["id"]})
    assert_problem(api.post(path, {"sourceId": source["id"]}), 409, "sourceId")
    other = api.created("/api/spaces", {"name": "other"})
    api.created(f"/api/spaces/{other['id']}/sources", {"sourceId": source["id"]})


def test_binding_rules(api: Api, other_api: Api, space: dict, source: dict) -> None:
    path = f"/api/spaces/{space['id']}/sources"
    foreign = other_api.created("/api/sources", {"name": "theirs", "type": "file"})
    assert_problem(api.post(path, {"sourceId": foreign["id"]}), 400, "sourceId", "does not exist")
    assert_problem(api.post(path, {"sourceId": 424242}), 400, "sourceId")
    assert_problem(api.post(path, {"sourceId": str(source["id"])}), 400, "sourceId")
    assert_problem(api.post(path, {"sourceId": source["id"], "jrnPattern": "no-jrn"}), 400, "jrnPattern")
    assert_problem(api.post(path, {"sourceId": source["id"], "jrnPattern": "jrn::path:/home/a*"}), 400, "jrnPattern")
    assert_problem(api.post(path, {"sourceId": source["id"], "spaceId": 3}), 400, "spaceId")
    assert_problem(api.post(path, {"sourceId": source["id"], "path": "/x"}), 400, "path", "never accepts")
    assert_problem(api.post("/api/spaces/99999/sources", {"sourceId": source["id"]}), 404)
    assert_problem(api.get("/api/spaces/99999/sources"), 404)


def test_bindings_paginate_by_source_id(api: Api, space: dict) -> None:
    path = f"/api/spaces/{space['id']}/sources"
    ids = [api.created("/api/sources", {"name": f"s{i}", "type": "file"})["id"] for i in range(4)]
    for source_id in reversed(ids):
        api.created(path, {"sourceId": source_id})
    first = api.get(path + "?limit=3").get_json()
    assert [b["sourceId"] for b in first["items"]] == ids[:3] and first["next"] == ids[2]
    assert [b["sourceId"] for b in api.get(f"{path}?after={ids[2]}").get_json()["items"]] == ids[3:]


def test_deleting_a_space_keeps_its_sources(api: Api, space: dict, source: dict) -> None:
    api.created(f"/api/spaces/{space['id']}/sources", {"sourceId": source["id"]})
    assert api.delete(f"/api/spaces/{space['id']}").status_code == 204
    assert api.get(f"/api/sources/{source['id']}").status_code == 200
