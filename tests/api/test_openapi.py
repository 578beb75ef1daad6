"""``/api/openapi.json``: a valid OpenAPI 3 document covering every route, and real answers that fit it."""

from __future__ import annotations

from typing import Any

import pytest
from apihelp import Api, answer_fits
from flask import Flask
from flask_smorest.spec.plugins import FlaskPlugin

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def document(anonymous: Api) -> dict[str, Any]:
    response = anonymous.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_route_and_method_is_documented(app: Flask, document: dict[str, Any]) -> None:
    routes = {
        (FlaskPlugin.flaskpath2openapi(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops if method != "parameters"}
    assert routes == documented


def test_issue_endpoints_are_all_there(document: dict[str, Any]) -> None:
    paths = document["paths"]
    expected = {
        "/api/sources": {"get", "post"}, "/api/sources/{source_id}": {"get", "patch", "delete"},
        "/api/sources/{source_id}/cursor": {"patch"}, "/api/spaces": {"get", "post"},
        "/api/spaces/{space_id}": {"get", "patch", "delete"}, "/api/spaces/{space_id}/sources": {"get", "post"},
        "/api/spaces/{space_id}/sources/{source_id}": {"delete"}, "/api/integrations": {"get", "post"},
        "/api/integrations/{integration_id}": {"get", "patch", "delete"}, "/api/openapi.json": {"get"},
        "/api/health": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path


def test_security_and_public_paths(document: dict[str, Any]) -> None:
    assert document["security"] == [{"bearer": []}]
    assert document["paths"]["/api/health"]["get"]["security"] == []
    assert document["paths"]["/api/openapi.json"]["get"]["security"] == []
    assert "401" in document["paths"]["/api/sources"]["get"]["responses"]


def test_secrets_are_write_only_in_the_schema(document: dict[str, Any]) -> None:
    integration = document["components"]["schemas"]["Integration"]["properties"]
    assert integration["webhookSecret"].get("writeOnly") and integration["accessToken"].get("writeOnly")
    create = document["paths"]["/api/integrations"]["post"]["requestBody"]["content"]["application/json"]
    assert create["schema"]


def test_real_answers_fit_the_document(api: Api, document: dict[str, Any]) -> None:
    integration = api.post("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme"})
    answer_fits(document, "/api/integrations", "post", integration)
    iid = integration.get_json()["id"]
    source = api.post("/api/sources", {"name": "web", "type": "git", "repo": "github.com/acme/web", "integrationId": iid})
    answer_fits(document, "/api/sources", "post", source)
    sid = source.get_json()["id"]
    space = api.post("/api/spaces", {"name": "docs"})
    answer_fits(document, "/api/spaces", "post", space)
    spid = space.get_json()["id"]
    calls = [
        ("/api/sources", "get", api.get("/api/sources")),
        ("/api/sources/{source_id}", "get", api.get(f"/api/sources/{sid}")),
        ("/api/sources/{source_id}/cursor", "patch", api.patch(f"/api/sources/{sid}/cursor", {"value": "c" * 40})),
        ("/api/sources/{source_id}", "patch", api.patch(f"/api/sources/{sid}", {"branch": "main"})),
        ("/api/spaces/{space_id}/sources", "post", api.post(f"/api/spaces/{spid}/sources", {"sourceId": sid})),
        ("/api/spaces/{space_id}/sources", "get", api.get(f"/api/spaces/{spid}/sources")),
        ("/api/integrations", "get", api.get("/api/integrations?repo=github.com/acme/web")),
        ("/api/integrations/{integration_id}", "get", api.get(f"/api/integrations/{iid}")),
        ("/api/sources", "post", api.post("/api/sources", {"name": "web", "type": "git"})),
        ("/api/sources", "post", api.post("/api/sources", {"name": "x", "type": "nope"})),
        ("/api/sources/{source_id}", "get", api.get("/api/sources/999")),
        ("/api/spaces", "get", api.client.get("/api/spaces")),
        ("/api/health", "get", api.get("/api/health")),
        ("/api/spaces/{space_id}/sources/{source_id}", "delete", api.delete(f"/api/spaces/{spid}/sources/{sid}")),
    ]
    for path, method, response in calls:
        answer_fits(document, path, method, response)


def test_check_answers_fit_the_document(api: Api, document: dict[str, Any]) -> None:
    iid = api.created("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme"})["id"]
    sid = api.created("/api/sources", {"name": "web", "type": "git", "repo": "github.com/acme/web",
                                       "integrationId": iid})["id"]
    calls = [
        ("/api/sources/{source_id}/check", "put", api.client.put(
            f"/api/sources/{sid}/check", json={"intervalSeconds": 60}, headers=api._headers(None))),
        ("/api/integrations/{integration_id}/check", "put", api.client.put(
            f"/api/integrations/{iid}/check", json={"intervalSeconds": None}, headers=api._headers(None))),
        ("/api/integrations/{integration_id}/health", "get", api.get(f"/api/integrations/{iid}/health")),
        ("/api/sources/{source_id}", "get", api.get(f"/api/sources/{sid}")),
        ("/api/openapi.json", "get", api.get("/api/openapi.json")),
    ]
    for path, method, response in calls:
        assert response.status_code == 200, response.get_json()
        answer_fits(document, path, method, response)
    assert api.get(f"/api/sources/{sid}").get_json()["check"]["nextCheckAt"].endswith("+00:00")


def test_every_answer_with_a_body_has_its_schema(document: dict[str, Any]) -> None:
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            for status, response in op["responses"].items():
                if "$ref" in response:
                    response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
                if status != "204":
                    assert response.get("content"), (path, method, status)
                    (media,) = response["content"].values()
                    assert media["schema"], (path, method, status)
