"""``/api/openapi.json``: a valid OpenAPI 3 document covering every route, and real answers that fit it."""

from __future__ import annotations

from typing import Any

import pytest
from apihelp import Api
from flask import Flask

from jolli.api.spec import openapi_path

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
        (openapi_path(rule.rule)[0], method.lower())
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


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every ``$ref`` into the document inlined, for jsonschema."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            return _resolve(document, document["components"]["schemas"][name])
        return {k: _resolve(document, v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_resolve(document, v) for v in schema]
    return schema


def _check(document: dict[str, Any], path: str, method: str, response: Any) -> None:
    import jsonschema

    declared = document["paths"][path][method]["responses"]
    assert str(response.status_code) in declared, (path, method, response.status_code)
    content = declared[str(response.status_code)].get("content")
    if not content:
        return
    media = content[response.mimetype]
    schema = _resolve(document, media["schema"])
    jsonschema.validate(response.get_json(), _nullable_to_jsonschema(schema))


def _nullable_to_jsonschema(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: _nullable_to_jsonschema(v) for k, v in schema.items() if k not in ("nullable", "readOnly", "writeOnly")}
        if schema.get("nullable") and "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        return out
    if isinstance(schema, list):
        return [_nullable_to_jsonschema(v) for v in schema]
    return schema


def test_real_answers_fit_the_document(api: Api, document: dict[str, Any]) -> None:
    integration = api.post("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme"})
    _check(document, "/api/integrations", "post", integration)
    iid = integration.get_json()["id"]
    source = api.post("/api/sources", {"name": "web", "type": "git", "repo": "github.com/acme/web", "integrationId": iid})
    _check(document, "/api/sources", "post", source)
    sid = source.get_json()["id"]
    space = api.post("/api/spaces", {"name": "docs"})
    _check(document, "/api/spaces", "post", space)
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
        _check(document, path, method, response)
