"""Helpers of the API tests: a token-carrying client and a problem-details assertion."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


class Api:
    """A test client that sends one org's bearer token with every call."""

    def __init__(self, client: FlaskClient, token: str | None, org: Any = None) -> None:
        self.client = client
        self.token = token
        self.org = org

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        out.update(headers or {})
        return out

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> TestResponse:
        return self.client.post(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> TestResponse:
        return self.client.patch(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST that must answer 201; the created object."""
        response = self.post(path, body)
        assert response.status_code == 201, response.get_json()
        data: dict[str, Any] = response.get_json()
        return data


def assert_problem(response: TestResponse, status: int, field: str | None = None, text: str | None = None) -> dict[str, Any]:
    """``response`` is problem details with ``status``; ``field`` among its errors; ``text`` in its detail."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "errors"} <= set(body)
    if field is not None:
        assert field in body["errors"], body
    if text is not None:
        assert text in body["detail"] or any(text in m for ms in body["errors"].values() for m in ms), body
    return body


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


def answer_fits(document: dict[str, Any], path: str, method: str, response: Any) -> None:
    """``response`` is one the document declares for ``method path``, and its body fits the declared schema."""
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
