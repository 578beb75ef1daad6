"""Hostile and careless input gets a 4xx problem, never a 5xx, and the server goes on serving: deep JSON on every
JSON endpoint and the webhook route, lone surrogates, duplicate keys, JSON sent as another type, non-ASCII ids,
malformed chunked bodies (against a real ``jolli serve``)."""

from __future__ import annotations

import hashlib
import hmac
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from apihelp import Api, assert_problem
from flask import Flask
from flask.testing import FlaskClient
from served import JolliServer

SECRET = "bad-input-secret"
DEEP = ("[" * 1000 + "]" * 1000).encode()  # 2 KB
DEEP_OBJECT = b'{"name": ' + DEEP + b"}"


@pytest.fixture
def objects(api: Api) -> dict[str, int]:
    """One of each object, so that routes with ids reach their body."""
    integration = api.created("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme",
                                                    "webhookSecret": SECRET})
    source = api.created("/api/sources", {"name": "app", "type": "git", "repo": "github.com/acme/app",
                                          "branch": "main"})
    space = api.created("/api/spaces", {"name": "docs"})
    return {"integration_id": integration["id"], "source_id": source["id"], "space_id": space["id"],
            "event_id": 1}


def json_routes(app: Flask, ids: dict[str, int]) -> Iterator[tuple[str, str]]:
    """Every API route that takes a body (POST, PATCH, PUT), with its ids filled in (the webhook route aside;
    the console's forms are not JSON: tests/console/test_pages.py)."""
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PATCH", "PUT"}):
            if rule.rule.startswith("/api/") and not rule.rule.startswith("/api/webhooks/"):
                yield method, _fill(rule.rule, ids)


def _fill(rule: str, ids: dict[str, int]) -> str:
    for name, value in ids.items():
        rule = rule.replace(f"<int:{name}>", str(value))
    return rule


def signed_push(client: FlaskClient, integration_id: int, body: bytes) -> Any:
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post(f"/api/webhooks/{integration_id}", data=body, headers={
        "X-GitHub-Event": "push", "X-Hub-Signature-256": signature, "Content-Type": "application/json"})


def test_json_nested_1000_deep_is_400_on_every_json_endpoint(app: Flask, api: Api, objects: dict[str, int]) -> None:
    routes = list(json_routes(app, objects))
    assert len(routes) >= 8
    for method, path in routes:
        for body in (DEEP, DEEP_OBJECT):
            response = api.client.open(path, method=method, data=body, headers={
                "Authorization": f"Bearer {api.token}", "Content-Type": "application/json"})
            assert 400 <= response.status_code < 500, (method, path, response.get_data(as_text=True))
            assert response.mimetype == "application/problem+json"
    assert_problem(api.client.post("/api/sources", data=DEEP_OBJECT, headers={
        "Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}), 400, "_body", "nested deeper")
    assert api.get("/api/sources").status_code == 200


def test_deep_json_and_lone_surrogates_on_the_webhook_route_are_400(client: FlaskClient, objects: dict[str, int]) -> None:
    from jolli.events.tables import SourceEvent, WebhookDelivery

    iid = objects["integration_id"]
    assert_problem(signed_push(client, iid, DEEP), 400, "_body")
    assert_problem(signed_push(client, iid, b'{"ref": "refs/heads/' + b"[" * 1000 + b'"}'), 400)
    surrogate = (b'{"ref":"refs/heads/\\ud800","before":"' + b"0" * 40 + b'","after":"' + b"a" * 40
                 + b'","repository":{"full_name":"acme/app","html_url":"https://github.com/acme/app"}}')
    assert_problem(signed_push(client, iid, surrogate), 400, "_body", "Unicode")
    assert SourceEvent.select().count() == 0 and WebhookDelivery.select().count() == 0
    emoji = surrogate.replace(b"\\ud800", b"\\ud83d\\ude00")  # a surrogate pair is fine
    assert signed_push(client, iid, emoji).status_code == 200  # no source tracks that branch: ignored
    assert client.get("/api/health").status_code == 200


def test_duplicate_keys_in_an_api_body_are_400_naming_the_key(api: Api) -> None:
    body = b'{"name": "a", "type": "git", "name": "b"}'
    problem = assert_problem(api.client.post("/api/sources", data=body, headers={
        "Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}), 400, "_body")
    assert "'name' appears twice" in problem["detail"]
    assert api.get("/api/sources").get_json()["items"] == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_json_sent_as_another_type_is_415(api: Api, objects: dict[str, int], content_type: str | None) -> None:
    headers = {"Authorization": f"Bearer {api.token}"} | ({"Content-Type": content_type} if content_type else {})
    body = b'{"name": "other", "type": "git"}'
    assert_problem(api.client.post("/api/sources", data=body, headers=headers), 415, text="Content-Type")
    assert_problem(api.client.patch(f"/api/spaces/{objects['space_id']}", data=b'{"name": "x"}', headers=headers), 415)
    assert api.post("/api/sources", {"name": "other", "type": "git"}).status_code == 201


def test_non_ascii_digits_in_ids_are_404(api: Api, objects: dict[str, int]) -> None:
    assert objects["source_id"] == 1
    for path in ("/api/sources/\u0661", "/api/sources/\u0661/cursor", "/api/spaces/\u0661",
                 "/api/integrations/\uff11"):
        assert_problem(api.get(path), 404)
    assert_problem(api.delete("/api/sources/\u0661"), 404)
    assert api.get("/api/sources/1").status_code == 200  # still there
    assert api.client.post("/api/webhooks/\u0661", data=b"{}").status_code == 404


def raw_request(server: JolliServer, head: str, body: bytes) -> bytes:
    """Send bytes as they are (a client library would refuse to) and return the whole answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("chunks", [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}", b"5\r\n{}\r\n0\r\n\r\n",
                                    b"-1\r\n{}\r\n0\r\n\r\n"])
@pytest.mark.parametrize("path", ["/api/sources", "/api/webhooks/1"])
def test_malformed_chunked_encoding_is_400_on_a_real_server(logged_server: JolliServer, path: str,
                                                           chunks: bytes) -> None:
    server = logged_server
    org = server.new_org()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {org.token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    answer = raw_request(server, head, chunks)
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer
    assert b"application/problem+json" in answer
    assert org.api("GET", "/api/health")[0] == 200
