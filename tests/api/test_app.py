"""The app as a whole: one problem+json error shape for every error, body limits, blueprints, health."""

from __future__ import annotations

import logging

import pytest
from apihelp import Api, assert_problem
from flask import Blueprint, Flask


def test_health_needs_no_token(anonymous: Api) -> None:
    response = anonymous.get("/api/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_unknown_path_is_a_json_404(anonymous: Api, api: Api) -> None:
    for client in (anonymous, api):
        body = assert_problem(client.get("/api/nothing-here"), 404)
        assert body["instance"] == "/api/nothing-here"
    assert_problem(api.get("/"), 404)
    assert_problem(api.get("/static/x.css"), 404)


def test_wrong_method_is_a_json_405_with_allow(api: Api) -> None:
    response = api.client.put("/api/sources", headers={"Authorization": f"Bearer {api.token}"})
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


def test_body_over_the_limit_is_a_json_413(api: Api) -> None:
    big = {"name": "x", "type": "file", "pad": "y" * (1024 * 1024 + 1)}
    assert_problem(api.post("/api/sources", big), 413)


def test_limit_is_configurable(db: object, db_url: str) -> None:
    from apihelp import Api as ApiClient

    from jolli.api.app import create_app
    from jolli.store.admin import create_org, create_token

    app = create_app({"DATABASE_URL": db_url, "MAX_CONTENT_LENGTH": 100})
    _, token = create_token(create_org("small"))
    api = ApiClient(app.test_client(), token)
    assert_problem(api.post("/api/spaces", {"name": "n" * 120}), 413)
    assert api.post("/api/spaces", {"name": "ok"}).status_code == 201


def test_the_event_settings_are_read_once_when_the_app_is_built(db: object, db_url: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """``POST /sync`` and the webhook health work from what the app read when it started: a variable
    changed (or broken) afterwards changes nothing, and fails no request."""
    from jolli.api.app import create_app
    from jolli.api.checks import EVENT_SETTINGS
    from jolli.events.config import EventSettings

    monkeypatch.setenv("JOLLI_WEBHOOK_GRACE", "42")
    app = create_app({"DATABASE_URL": db_url})
    monkeypatch.setenv("JOLLI_WEBHOOK_GRACE", "soon")
    with app.app_context():
        from jolli.api.checks import event_settings

        assert event_settings().webhook_grace_seconds == 42.0
    given = EventSettings(webhook_grace_seconds=7.0)
    assert create_app({"DATABASE_URL": db_url}, events=given).extensions[EVENT_SETTINGS] is given


@pytest.mark.parametrize(
    "data",
    [b"{not json", b"[1, 2]", b'"text"', b"", b"null", b"\xff\xfe"],
)
def test_body_that_is_not_a_json_object_is_400(api: Api, data: bytes) -> None:
    response = api.client.post("/api/spaces", data=data, content_type="application/json",
                               headers={"Authorization": f"Bearer {api.token}"})
    assert_problem(response, 400, "_body")


def test_text_the_database_cannot_store_is_400(api: Api) -> None:
    assert_problem(api.post("/api/spaces", {"name": "a\x00b"}), 400, "name", "NUL")
    assert_problem(api.post("/api/sources", {"name": "a", "type": "file\x00"}), 400, "type")
    response = api.client.post("/api/spaces", data=b'{"name": "\\ud800"}', content_type="application/json",
                               headers={"Authorization": f"Bearer {api.token}"})
    assert_problem(response, 400, "name", "Unicode")
    assert_problem(api.get("/api/sources?name=a%00b"), 400, "name")


def test_huge_numbers_are_400_not_500(api: Api) -> None:
    assert_problem(api.post("/api/sources", {"name": "x", "type": "git", "integrationId": 2**80}), 400,
                   "integrationId")
    assert_problem(api.get(f"/api/sources?after={2**80}"), 400, "after")
    assert_problem(api.get(f"/api/spaces/{2**80}/sources"), 404)
    assert_problem(api.post(f"/api/spaces/{2**80}/sources", {"sourceId": 1}), 404)
    assert_problem(api.delete(f"/api/sources/{2**64}"), 404)


@pytest.fixture
def broken_app(app: Flask) -> Flask:
    bp = Blueprint("boom", __name__)

    @bp.get("/api/boom")
    def boom() -> str:
        raise RuntimeError("secret internals: password=hunter2")

    @bp.get("/api/overflow")
    def overflow() -> str:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    app.register_blueprint(bp)
    return app


def test_a_bug_is_a_json_500_without_the_trace(broken_app: Flask, api: Api, caplog: pytest.LogCaptureFixture) -> None:
    api.client = broken_app.test_client()
    with caplog.at_level(logging.ERROR, logger="jolli.api.errors"):
        response = api.get("/api/boom")
    body = assert_problem(response, 500)
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text
    assert body["detail"] == "an unexpected error occurred; it has been logged"
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


def test_a_value_the_database_cannot_hold_is_a_400_safety_net(broken_app: Flask, api: Api) -> None:
    api.client = broken_app.test_client()
    body = assert_problem(api.get("/api/overflow"), 400)
    assert "does not fit the database" in body["detail"] and "SQLite" not in body["detail"]


def test_database_down_is_a_json_503(app: Flask, anonymous: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import peewee

    from jolli.store.db import database

    def refuse(*_a: object, **_k: object) -> None:
        raise peewee.OperationalError("connection refused")

    monkeypatch.setattr(database.obj, "connect", refuse)
    monkeypatch.setattr(database.obj, "is_closed", lambda: True)
    response = anonymous.get("/api/health")
    assert_problem(response, 503)
    assert response.headers["Retry-After"]


def test_every_blueprint_is_registered(app: Flask) -> None:
    from jolli.api.blueprints import BLUEPRINTS

    assert [target.split(":")[0].rsplit(".", 1)[1] for target in BLUEPRINTS] == [
        name for name in app.blueprints if name in {t.split(":")[0].rsplit(".", 1)[1] for t in BLUEPRINTS}
    ]


def test_a_blueprint_route_outside_api_fails_loudly(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    import sys
    import types

    from jolli.api import app as app_module

    module = types.ModuleType("jolli_test_badbp")
    module.bp = Blueprint("badbp", "jolli_test_badbp")  # type: ignore[attr-defined]
    module.bp.add_url_rule("/relative", "x", lambda: "x")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "jolli_test_badbp", module)
    monkeypatch.setattr(app_module, "BLUEPRINTS", ["jolli_test_badbp:bp"])
    with pytest.raises(RuntimeError, match="full paths under /api/"):
        app_module.create_app({"DATABASE_URL": sqlite_url})


def test_responses_are_json_even_for_errors_with_html_accept(api: Api) -> None:
    response = api.get("/api/sources/999", headers={"Accept": "text/html"})
    assert response.mimetype == "application/problem+json"
    assert "<html" not in response.get_data(as_text=True).lower()


def test_plugin_blueprints_smorest_or_plain_are_served_and_documented(monkeypatch: pytest.MonkeyPatch,
                                                                      sqlite_url: str) -> None:
    import sys
    import types

    from marshmallow import Schema, fields

    from jolli.api import app as app_module
    from jolli.api.rest import Blueprint as SmorestBlueprint
    from jolli.store.db import database
    from jolli.store.migrate import upgrade

    class ReportSchema(Schema):
        id = fields.Integer()

    module = types.ModuleType("jolli_test_reports")
    smorest = SmorestBlueprint("reports", "jolli_test_reports")

    @smorest.get("/api/reports/<int:report_id>")
    @smorest.response(200, ReportSchema)
    def get_report(report_id: int) -> dict[str, int]:
        """Get a report"""
        return {"id": report_id, "secret": 1}

    plain = Blueprint("plainbp", "jolli_test_reports")

    @plain.get("/api/plain")
    def plain_view() -> dict[str, bool]:
        """A plain Flask view"""
        return {"plain": True}

    module.smorest, module.plain = smorest, plain  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "jolli_test_reports", module)
    monkeypatch.setattr(app_module, "BLUEPRINTS", [*app_module.BLUEPRINTS, "jolli_test_reports:smorest",
                                                   "jolli_test_reports:plain"])
    app = app_module.create_app({"DATABASE_URL": sqlite_url, "TESTING": True})
    upgrade(database)
    client = app.test_client()
    assert_problem(client.get("/api/reports/7"), 401)  # authenticated like every other route
    assert_problem(client.get("/api/plain"), 401)
    from jolli.store.admin import create_org, create_token

    headers = {"Authorization": f"Bearer {create_token(create_org('acme'))[1]}"}
    assert client.get("/api/reports/7", headers=headers).get_json() == {"id": 7}  # dumped by its schema
    assert client.get("/api/plain", headers=headers).get_json() == {"plain": True}
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "200" in paths["/api/reports/{report_id}"]["get"]["responses"]
    assert "401" in paths["/api/reports/{report_id}"]["get"]["responses"]
    assert paths["/api/plain"]["get"]["summary"] == "A plain Flask view"


def test_request_parsing_answers_jolli_problems_never_422(api: Api) -> None:
    """Bodies and query strings go through flask-smorest (webargs) under jolli's rules: every refusal is a 400
    (or 415) problem naming what is wrong, never webargs' 422."""
    body = assert_problem(api.post("/api/spaces", {"name": "docs", "colour": "red"}), 400, "colour")
    assert "this endpoint accepts only name" in body["errors"]["colour"][0]
    assert_problem(api.post("/api/spaces", {"name": "docs", "mountPath": "/srv"}), 400, "mountPath", "mount")
    assert_problem(api.post("/api/spaces", {"name": "do\x00cs"}), 400, "name", "NUL")
    assert_problem(api.post("/api/spaces"), 400, "_body", "needs a JSON object body")
    assert_problem(api.post("/api/spaces", [1, 2]), 400, "_body", "must be a JSON object")
    assert_problem(api.post("/api/spaces", data=b'{"name": "docs"}', headers={"Content-Type": "text/plain"}), 415)
    assert_problem(api.get("/api/spaces?limit=1&limit=2"), 400, "limit", "once")
    assert_problem(api.get("/api/spaces?colour=red"), 400, "colour", "accepts only")
    assert_problem(api.get("/api/spaces?limit=0"), 400, "limit")
    sid = api.created("/api/sources", {"name": "web", "type": "git", "repo": "github.com/acme/web"})["id"]
    assert_problem(api.post(f"/api/sources/{sid}/sync", {"colour": 1}), 400, "colour")  # an optional body
