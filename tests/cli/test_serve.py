"""``jolli serve``: gunicorn on a loopback port, migrated on start, answering real HTTP calls."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from jolli.cli.main import cli
from jolli.cli.serve import bind_address, gunicorn_options

JOLLI = str(Path(sys.executable).with_name("jolli"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(url: str, method: str = "GET", token: str | None = None, body: Any = None) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")


def wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    """Poll /api/health until the server answers (or the process died)."""
    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError(f"jolli serve exited with {proc.returncode}: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            if call(base + "/api/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("jolli serve did not answer /api/health")


def post_raw(base: str, path: str, body: bytes, headers: dict[str, str], chunked: bool = False
             ) -> tuple[int, str | None, Any]:
    """``POST`` with http.client (in two chunks, without a length, when ``chunked``): status, type, JSON."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=30)
    try:
        if chunked:
            conn.request("POST", path, body=iter([body[: len(body) // 2], body[len(body) // 2 :]]),
                         headers=headers, encode_chunked=True)
        else:
            conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), json.loads(response.read())
    finally:
        conn.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> str:
        port = free_port()
        proc = subprocess.Popen(
            [JOLLI, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ),
        )
        started.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, proc)
        return base

    yield start
    for proc in started:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_serve_on_the_embedded_default_answers_an_authenticated_call(serve: Any) -> None:
    base = serve("--workers", "2")
    # serve migrated the default database; the admin commands use the same file
    runner = CliRunner()
    assert runner.invoke(cli, ["org", "create", "acme"]).exit_code == 0
    token = runner.invoke(cli, ["token", "create", "--org", "acme"]).stdout.strip()
    assert (Path(os.environ["JOLLI_HOME"]) / "jolli.db").exists()

    status, headers, body = call(base + "/api/sources", token=token)
    assert status == 200 and body == {"items": [], "next": None}
    assert headers["Server"].startswith("gunicorn")
    status, _, created = call(base + "/api/sources", "POST", token, {"name": "web", "type": "git",
                                                                      "repo": "git@github.com:acme/web.git"})
    assert status == 201 and created["repo"] == "github.com/acme/web"
    status, headers, problem = call(base + "/api/sources")
    assert status == 401 and headers["Content-Type"] == "application/problem+json"


def test_serve_leaves_no_control_socket_in_the_home_folder(serve: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "user-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    base = serve("--workers", "1")
    assert call(base + "/api/health")[0] == 200
    assert list(home.iterdir()) == []  # no ~/.gunicorn/gunicorn.ctl shared by every server of the user


def test_requests_gunicorn_rejects_get_problem_json_not_html(serve: Any) -> None:
    base = serve("--workers", "1")
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /api/sources?x=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414") and b"Content-Type: application/problem+json" in head
    assert json.loads(body)["status"] == 414 and b"<html" not in raw


def test_serve_on_each_store(serve: Any, db_url: str) -> None:
    base = serve("--workers", "1", "--threads", "2", "--database-url", db_url)
    runner = CliRunner()
    env = {"JOLLI_DATABASE_URL": db_url}
    assert runner.invoke(cli, ["org", "create", "acme"], env=env).exit_code == 0
    token = runner.invoke(cli, ["token", "create", "--org", "acme"], env=env).stdout.strip()
    status, _, space = call(base + "/api/spaces", "POST", token, {"name": "docs"})
    assert status == 201
    assert call(base + f"/api/spaces/{space['id']}", token=token)[2]["name"] == "docs"
    status, _, problem = call(base + "/api/nowhere", token=token)
    assert status == 404 and problem["status"] == 404


def test_serve_refuses_a_bad_database_url() -> None:
    result = CliRunner().invoke(cli, ["serve", "--database-url", "mysql://x/y"])
    assert result.exit_code == 1 and "unsupported scheme" in result.output


def test_gunicorn_settings() -> None:
    options = gunicorn_options("::1", 9000, 3, 1, False)
    assert options["bind"] == "[::1]:9000" and options["workers"] == 3 and options["worker_class"] == "sync"
    assert gunicorn_options("0.0.0.0", 80, 1, 4, True)["worker_class"] == "gthread"
    assert bind_address("127.0.0.1", 8000) == "127.0.0.1:8000"


@pytest.mark.parametrize(("name", "value", "said"), [
    ("JOLLI_WORKERS", "many", "JOLLI_WORKERS must be a whole number, got 'many'"),
    # read by the API's sync and webhook health: a bad value stops the server, not each of those requests
    ("JOLLI_WEBHOOK_GRACE", "soon", "JOLLI_WEBHOOK_GRACE must be a number, got 'soon'"),
    ("JOLLI_CHECK_PRIORITY", "fast", "JOLLI_CHECK_PRIORITY must be one of idle, low, normal, got 'fast'"),
])
def test_a_bad_setting_stops_serve_before_it_starts_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str) -> None:
    from click.testing import CliRunner

    from jolli.cli.main import cli

    monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert said in result.output


def test_serve_receives_webhooks_and_refuses_a_chunked_body_over_the_limit(
        serve: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib
    import hmac

    from jolli.store.admin import create_org
    from jolli.store.db import close_database, open_database
    from jolli.store.models import Integration, Source

    monkeypatch.setenv("JOLLI_MAX_WEBHOOK_BYTES", "4000")
    base = serve("--workers", "1", "--log-level", "debug", "--database-url", db_url)
    open_database(db_url)
    org = create_org("acme")
    integration = Integration.create(org=org, provider="github", host="github.com", webhook_secret="s3cret")
    Source.create(org=org, name="app", type="git", repo="github.com/acme/App", branch="main")
    close_database()

    def post(body: bytes, chunked: bool = False) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-42",
                   "X-Hub-Signature-256": "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()}
        status, mime, answer = post_raw(base, f"/api/webhooks/{integration.id}", body, headers, chunked)
        return status, (mime, answer)

    push = json.dumps({"ref": "refs/heads/main", "before": "0" * 40, "after": "a" * 40,
                       "repository": {"full_name": "acme/app", "html_url": "https://github.com/acme/app"}}).encode()
    status, (mime, answer) = post(push)
    assert status == 202 and mime == "application/json" and answer["status"] == "accepted"
    status, (mime, problem) = post(push[:-1] + b" " * 6000 + b"}", chunked=True)
    assert status == 413 and mime == "application/problem+json" and problem["status"] == 413
    status, (_, again) = post(push, chunked=True)  # a chunked body within the limit is read whole
    assert status == 202 and again["status"] == "duplicate" and again["duplicateEventIds"] == answer["eventIds"]


def test_serve_answers_413_for_a_chunked_api_body_over_the_limit(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_MAX_BODY_BYTES", "2000")
    base = serve("--workers", "1")
    runner = CliRunner()
    assert runner.invoke(cli, ["org", "create", "acme"]).exit_code == 0
    token = runner.invoke(cli, ["token", "create", "--org", "acme"]).stdout.strip()

    def post(body: bytes) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        status, _mime, answer = post_raw(base, "/api/sources", body, headers, chunked=True)
        return status, answer

    source = {"name": "web", "type": "git", "repo": "github.com/acme/web"}
    status, problem = post(json.dumps({**source, "branch": "b" * 5000}).encode())
    assert status == 413 and problem["status"] == 413  # not a 400 about a truncated JSON body
    status, created = post(json.dumps({**source, "branch": "main"}).encode().ljust(1500))
    assert status == 201 and created["name"] == "web"
    assert call(base + "/api/sources", token=token)[2]["items"][0]["branch"] == "main"
