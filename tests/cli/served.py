"""Real parts for the CLI tests: ``jolli serve`` in a subprocess on a loopback port, orgs and tokens made
with the admin commands, integrations registered over HTTP, and git repositories made with real git
(``git`` and ``make_repo`` are ``tests/local/localgit.py``'s).

Imported by the test modules next to it (``from served import ...``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "local"))

from localgit import git, make_repo  # noqa: E402, F401 - the same real-git helpers as the local-config tests

#: The console script installed beside this Python (the virtualenv's ``jolli``).
JOLLI = [os.path.join(os.path.dirname(sys.executable), "jolli")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_jolli(args: list[str], env: dict[str, str], cwd: str | os.PathLike[str] | None = None,
              check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``jolli args`` in a subprocess; raise with its output when ``check`` and it fails."""
    result = subprocess.run(JOLLI + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, input=input)
    if check and result.returncode != 0:
        raise AssertionError(f"jolli {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def base_env(tmp: Path) -> dict[str, str]:
    """The environment for a jolli subprocess: no user config, server or token from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOLLI_", "GIT_")) and k != "DATABASE_URL"}
    env.update(JOLLI_HOME=str(tmp / "home"), JOLLI_CONFIG_DIR=str(tmp / "config"))
    return env


class JolliServer:
    """``jolli serve`` on a free loopback port with its own SQLite file."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.tmp = tmp
        self.args = list(args)  # more ``jolli serve`` options
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = "sqlite:///" + str(tmp / "server.db")
        self.env = {**base_env(tmp), "JOLLI_DATABASE_URL": self.database_url}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tmp / "serve.log"

    def start(self) -> JolliServer:
        run_jolli(["db", "upgrade"], self.env)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                JOLLI + ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "2", *self.args],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"jolli serve exited {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"jolli serve did not answer on {self.url}:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def new_org(self) -> Org:
        """A fresh org and a token for it, made with ``jolli org create`` and ``jolli token create``."""
        name = "org-" + uuid.uuid4().hex[:10]
        run_jolli(["org", "create", name], self.env)
        token = run_jolli(["token", "create", "--org", name], self.env).stdout.strip()
        return Org(self, name, token)


class Org:
    """One org on a :class:`JolliServer`, with helpers that call the API directly (not through jolli's client)."""

    def __init__(self, server: JolliServer, name: str, token: str) -> None:
        self.server = server
        self.name = name
        self.token = token

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.server.url + path, data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, json.loads(raw) if raw else None

    def integration(self, host: str = "github.com", owner: str | None = "acme", provider: str = "github",
                    repos: list[str] | None = None, name: str | None = None) -> dict[str, Any]:
        body = {"provider": provider, "host": host, "owner": owner, "repos": repos, "name": name,
                "webhookSecret": "test-secret"}
        status, created = self.api("POST", "/api/integrations", {k: v for k, v in body.items() if v is not None})
        assert status == 201, created
        return created

    def source(self, **body: Any) -> dict[str, Any]:
        status, created = self.api("POST", "/api/sources", {"type": "git", **body})
        assert status == 201, created
        return created

    def sources(self) -> list[dict[str, Any]]:
        status, page = self.api("GET", "/api/sources?limit=500")
        assert status == 200, page
        return page["items"]


@pytest.fixture(scope="module")
def jolli_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JolliServer]:
    """One ``jolli serve`` subprocess for the test module."""
    server = JolliServer(tmp_path_factory.mktemp("server")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def org(jolli_serve: JolliServer) -> Org:
    """A fresh org (and token) on the module's server, so tests do not see each other's sources."""
    return jolli_serve.new_org()


@pytest.fixture
def logged_in(org: Org, monkeypatch: pytest.MonkeyPatch) -> Org:
    """``JOLLI_URL``/``JOLLI_TOKEN`` pointing the CLI at ``org``."""
    monkeypatch.setenv("JOLLI_URL", org.server.url)
    monkeypatch.setenv("JOLLI_TOKEN", org.token)
    return org
