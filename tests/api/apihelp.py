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
