"""jolli's HTTP client against the real API served on a loopback socket (``jolli_server`` fixture)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from jolli.client import ApiError, Client, ServerUnreachable


@pytest.fixture
def client(jolli_server: str, jolli_token: str) -> Iterator[Client]:
    with Client(jolli_server, jolli_token) as api:
        yield api


def test_create_read_change_delete(client: Client):
    created = client.post("/api/sources", {"name": "backend", "type": "git", "repo": "git@github.com:acme/b.git"})
    assert created["repo"] == "github.com/acme/b"

    assert client.get(f"/api/sources/{created['id']}")["name"] == "backend"
    assert client.patch(f"/api/sources/{created['id']}", {"branch": "main"})["branch"] == "main"
    assert client.delete(f"/api/sources/{created['id']}") is None
    with pytest.raises(ApiError) as caught:
        client.get(f"/api/sources/{created['id']}")
    assert caught.value.status == 404 and caught.value.is_input_error


def test_paginate_follows_every_page(client: Client):
    for i in range(7):
        client.post("/api/sources", {"name": f"s{i}", "type": "git"})

    names = [item["name"] for item in client.paginate("/api/sources", limit=3)]

    assert names == [f"s{i}" for i in range(7)]


def test_problem_details_become_an_api_error_with_field_messages(client: Client):
    with pytest.raises(ApiError) as caught:
        client.post("/api/sources", {"name": "no spaces please", "type": "git", "mountPath": "/x"})

    error = caught.value
    assert error.status == 400 and error.title
    assert "mountPath" in error.fields and error.fields["mountPath"]
    assert error.is_input_error
    with pytest.raises(ApiError) as caught:
        client.post("/api/sources", {"name": "no spaces please", "type": "git"})
    assert list(caught.value.fields) == ["name"]


def test_an_ambiguous_answer_carries_the_candidates(client: Client):
    for name in ("one", "two"):
        client.post("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme", "name": name})

    with pytest.raises(ApiError) as caught:
        client.get("/api/integrations", repo="github.com/acme/x")

    assert caught.value.status == 409
    assert [c["name"] for c in caught.value.candidates] == ["one", "two"]


def test_a_wrong_token_is_401_and_never_shown(jolli_server: str):
    secret = "jt_this_must_never_be_printed"
    client = Client(jolli_server, secret)

    with pytest.raises(ApiError) as caught:
        client.get("/api/sources")

    assert caught.value.status == 401 and not caught.value.is_input_error
    assert secret not in str(caught.value) and secret not in repr(client) and secret not in repr(caught.value)


def test_no_server_listening_is_server_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Client(f"http://127.0.0.1:{port}", "jt_secret")

    with pytest.raises(ServerUnreachable) as caught:
        client.get("/api/sources")

    assert caught.value.status == 0
    assert "cannot reach the jolli server" in str(caught.value) and "connection refused" in str(caught.value)
    assert "jt_secret" not in str(caught.value)


class _Html(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b"<html>not jolli</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Silent(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.server.release.wait(10)  # type: ignore[attr-defined]

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_server(request: pytest.FixtureRequest) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), request.param)
    server.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.release.set()  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("other_server", [_Html], indirect=True)
def test_a_server_that_is_not_jolli_is_named(other_server: str):
    with pytest.raises(ApiError, match="not JSON .*is .* a jolli server"):
        Client(other_server).get("/api/sources")


@pytest.mark.parametrize("other_server", [_Silent], indirect=True)
def test_a_server_that_never_answers_times_out(other_server: str):
    with pytest.raises(ServerUnreachable, match="did not answer in time"):
        Client(other_server, timeout=(1.0, 0.3)).get("/api/sources")


class _RestartingServer(BaseHTTPRequestHandler):
    """Answers 503 to the first request of each path (a server restarting behind its proxy), then 200."""

    seen: set[str] = set()

    def _answer(self) -> None:
        first = self.path not in _RestartingServer.seen
        _RestartingServer.seen.add(self.path)
        body = b'{"title": "Service Unavailable", "status": 503}' if first else b'{"items": [], "next": null}'
        self.send_response(503 if first else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if first:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("other_server", [_RestartingServer], indirect=True)
def test_a_read_that_meets_a_restarting_server_is_retried_and_a_write_is_not(other_server: str) -> None:
    _RestartingServer.seen.clear()
    with Client(other_server, "tok") as api:
        assert api.get("/api/sources") == {"items": [], "next": None}  # GET: retried, then answered
        with pytest.raises(ApiError) as caught:
            api.post("/api/spaces", {"name": "x"})  # POST: not idempotent, said at once
    assert caught.value.status == 503
