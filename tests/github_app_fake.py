"""A GitHub App as GitHub's API shows it, mocked with ``responses`` in GitHub's documented shapes: a real
RSA key made here, ``GET /app``, ``GET /orgs|users/{owner}/installation``, ``GET /app/installations/{id}`` and
``POST /app/installations/{id}/access_tokens`` (each checking the App's JWT with the public key).

Imported by the tests that need it (``from github_app_fake import FakeApp``).
"""

from __future__ import annotations

import contextlib
import http.server
import itertools
import json
import re
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import jwt
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

_tokens = itertools.count(1)


@cache
def rsa_key(number: int = 0) -> rsa.RSAPrivateKey:
    """A real 2048-bit RSA key (one per ``number``, made once per test session)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    """The key as GitHub hands it out: ``-----BEGIN RSA PRIVATE KEY-----`` (PKCS#1)."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode("ascii")


@dataclass
class FakeApp:
    """One GitHub App: its id, slug, key, and its installations by account login."""

    app_id: int
    slug: str
    key_number: int = 0
    api: str = "https://api.github.com"
    installations: dict[str, int] = field(default_factory=dict)  # login -> installation id
    organizations: set[str] = field(default_factory=set)  # logins that are organizations (else users)
    suspended: set[int] = field(default_factory=set)
    token_lifetime: float = 3600.0
    jwts: list[dict[str, Any]] = field(default_factory=list)  # the verified claims of every JWT received
    minted: list[str] = field(default_factory=list)

    @property
    def key(self) -> rsa.RSAPrivateKey:
        return rsa_key(self.key_number)

    @property
    def pem(self) -> str:
        return pem(self.key)

    def _claims(self, request: Any) -> dict[str, Any] | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        try:
            claims = jwt.decode(header[7:], self.key.public_key(), algorithms=["RS256"], issuer=str(self.app_id),
                                options={"require": ["iat", "exp", "iss"]}, leeway=0)
        except jwt.PyJWTError:
            return None
        self.jwts.append(claims)
        return dict(claims)

    def _installation(self, login: str, number: int) -> dict[str, Any]:
        suspended = number in self.suspended
        return {
            "id": number, "app_id": self.app_id, "app_slug": self.slug, "target_id": 1000 + number,
            "account": {"login": login, "id": 1000 + number,
                        "type": "Organization" if login in self.organizations else "User"},
            "target_type": "Organization" if login in self.organizations else "User",
            "repository_selection": "all", "permissions": {"contents": "read", "metadata": "read"},
            "events": ["push"], "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "suspended_at": "2026-06-01T00:00:00Z" if suspended else None,
            "suspended_by": {"login": login} if suspended else None,
        }

    def register(self, mock: responses.RequestsMock) -> FakeApp:
        """Answer the App's endpoints on ``mock`` (several Apps on one API: each request goes to the App its
        JWT names as issuer)."""
        base = self.api.rstrip("/")
        apis = _FAKES.setdefault(mock, {})
        if base not in apis:
            apis[base] = {}
            _register_routes(mock, base, apis[base])
        apis[base][str(self.app_id)] = self
        return self

    def mint_calls(self, mock: responses.RequestsMock) -> int:
        return sum(1 for call in mock.calls if call.request.method == "POST" and "/access_tokens" in call.request.url)


#: The Apps answering on each mock, by API root and App id.
_FAKES: weakref.WeakKeyDictionary[responses.RequestsMock, dict[str, dict[str, FakeApp]]] = weakref.WeakKeyDictionary()
_UNAUTHORIZED = (401, {}, json.dumps({"message": "A JSON web token could not be decoded",
                                      "documentation_url": "https://docs.github.com/rest"}))
_NOT_FOUND = (404, {}, json.dumps({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}))


def _routes(base: str, apps: dict[str, FakeApp]) -> list[tuple[str, re.Pattern[str], Any]]:
    """``(method, URL pattern, callback)`` of the App endpoints under ``base``, answering for ``apps``."""

    def authenticated(handler: Any) -> Any:
        def answer(request: Any) -> tuple[int, dict[str, str], str]:
            header = request.headers.get("Authorization", "")
            try:
                issuer = str(jwt.decode(header[7:], options={"verify_signature": False}).get("iss"))
            except jwt.PyJWTError:
                return _UNAUTHORIZED
            app = apps.get(issuer)
            if app is None or app._claims(request) is None:
                return _UNAUTHORIZED
            return handler(app, request.url[len(base):].split("?")[0].split("/"))  # type: ignore[no-any-return]
        return answer

    def app_info(app: FakeApp, path: list[str]) -> tuple[int, dict[str, str], str]:
        return 200, {}, json.dumps({"id": app.app_id, "slug": app.slug, "name": app.slug.title(),
                                    "owner": {"login": "maker"}, "events": ["push"]})

    def by_owner(app: FakeApp, path: list[str]) -> tuple[int, dict[str, str], str]:
        kind, login = path[1], path[2]
        found = {k.lower(): (k, v) for k, v in app.installations.items()}.get(login.lower())
        if found is None or (kind == "orgs") != (found[0] in app.organizations):
            return _NOT_FOUND
        return 200, {}, json.dumps(app._installation(*found))

    def by_id(app: FakeApp, path: list[str]) -> tuple[int, dict[str, str], str]:
        number = int(path[3])
        login = next((k for k, v in app.installations.items() if v == number), None)
        return _NOT_FOUND if login is None else (200, {}, json.dumps(app._installation(login, number)))

    def mint(app: FakeApp, path: list[str]) -> tuple[int, dict[str, str], str]:
        number = int(path[3])
        if number not in app.installations.values():
            return _NOT_FOUND
        if number in app.suspended:
            return 403, {}, json.dumps({"message": "This installation has been suspended"})
        token = f"ghs_{app.app_id}x{next(_tokens):036d}"
        app.minted.append(token)
        expires = datetime.fromtimestamp(time.time() + app.token_lifetime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 201, {}, json.dumps({"token": token, "expires_at": expires,
                                    "permissions": {"contents": "read", "metadata": "read"},
                                    "repository_selection": "all"})

    root = re.escape(base)
    return [
        ("GET", re.compile(root + r"/app$"), authenticated(app_info)),
        ("GET", re.compile(root + r"/(orgs|users)/[^/]+/installation$"), authenticated(by_owner)),
        ("GET", re.compile(root + r"/app/installations/[0-9]+$"), authenticated(by_id)),
        ("POST", re.compile(root + r"/app/installations/[0-9]+/access_tokens$"), authenticated(mint)),
    ]


def _register_routes(mock: responses.RequestsMock, base: str, apps: dict[str, FakeApp]) -> None:
    for method, pattern, callback in _routes(base, apps):
        mock.add_callback(method, pattern, callback=callback)


@dataclass
class _Request:
    """What a route callback reads of a request (``responses`` hands it a ``PreparedRequest``)."""

    url: str
    headers: dict[str, str]


@contextlib.contextmanager
def served(*apps: FakeApp) -> Iterator[str]:
    """The Apps' endpoints on a real loopback HTTP server (for a ``jolli serve`` in another process): its URL,
    to give as ``apiBaseUrl``."""
    table: dict[str, FakeApp] = {str(app.app_id): app for app in apps}
    holder: dict[str, Any] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            url = holder["origin"] + self.path
            request = _Request(url, {k: v for k, v in self.headers.items()})
            for method, pattern, callback in holder["routes"]:
                if method == self.command and pattern.match(url.split("?")[0]):
                    status, _headers, text = callback(request)
                    break
            else:
                status, _headers, text = _NOT_FOUND
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["origin"] = f"http://127.0.0.1:{server.server_address[1]}"
    holder["base"] = holder["origin"] + "/api/v3"
    holder["routes"] = _routes(holder["base"], table)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["base"]
    finally:
        server.shutdown()
        server.server_close()
