"""GitHub App credentials (github.com and Enterprise Server): a JWT signed with the App's key, the
installation of an owner, and installation tokens minted and cached until shortly before they expire.

- JWT: RS256 over ``{"iat": now - 60, "exp": now + 540, "iss": appId}`` (GitHub accepts an ``exp`` at most
  10 minutes ahead; ``iat`` is backdated against clock drift).
- The installation: ``GET /app/installations/{id}`` when the id is given, else ``GET /orgs/{owner}/installation``
  and, when that is a 404, ``GET /users/{owner}/installation``.
- A token: ``POST /app/installations/{id}/access_tokens`` answers ``{"token", "expires_at"}`` (one hour).
  Tokens live in the process's :data:`jolli.token_cache.TOKENS`, one request per installation per hour
  however many calls and threads use it; a 401 on a call drops it and the next call mints a new one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from jolli.credential import Credential, TokenHeaders
from jolli.errors import InvalidInput
from jolli.http import ProviderError, ProviderSession, new_session
from jolli.token_cache import TOKENS, CachedToken

from .base_urls import default_api_base_url
from .github import API_VERSION

#: Seconds the JWT's ``iat`` is set in the past (clock drift), and its lifetime from then.
JWT_BACKDATE = 60
JWT_LIFETIME = 600

KEY_FIX = ("give the PEM private key generated in the App's settings (General > Private keys), "
           "starting with -----BEGIN RSA PRIVATE KEY-----")


def load_private_key(pem: str) -> RSAPrivateKey:
    """The App's RSA key from its PEM text, or a 400 on ``privateKey`` (never quoting the key)."""
    try:
        key = serialization.load_pem_private_key(pem.strip().encode("utf-8"), password=None)
    except (ValueError, TypeError, UnicodeError):
        raise InvalidInput(f"privateKey does not parse as a PEM private key; {KEY_FIX}",
                           fields={"privateKey": ["must be the App's PEM private key"]}) from None
    if not isinstance(key, RSAPrivateKey):
        raise InvalidInput(f"privateKey is not an RSA key; {KEY_FIX}",
                           fields={"privateKey": ["must be an RSA key (GitHub Apps sign with RS256)"]})
    return key


def app_jwt(app_id: str, private_key: str | RSAPrivateKey, now: float | None = None) -> str:
    """The JWT that authenticates as the App (RS256, ``iss`` = the App's id, ten minutes at most)."""
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    issued = int(time.time() if now is None else now) - JWT_BACKDATE
    return jwt.encode({"iat": issued, "exp": issued + JWT_LIFETIME, "iss": str(app_id)}, key, algorithm="RS256")


class AppApi:
    """The calls made as the App itself (with its JWT)."""

    def __init__(self, base_url: str, app_id: str, private_key: str, session: ProviderSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = str(app_id)
        self.key = load_private_key(private_key)
        self.session = session or new_session(
            label="GitHub App", headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION})

    def _send(self, method: str, path: str) -> Any:
        token = app_jwt(self.app_id, self.key)
        self.session.secrets = (token,)
        return self.session.send_json(method, self.base_url + path, headers={"Authorization": f"Bearer {token}"})[0]

    def app(self) -> dict[str, Any]:
        """``GET /app``: the App the key belongs to (``id``, ``slug``, ``name``)."""
        data: dict[str, Any] = self._send("GET", "/app")
        return data

    def installation(self, installation_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self._send("GET", f"/app/installations/{quote(str(installation_id), safe='')}")
        return data

    def installation_for(self, owner: str) -> dict[str, Any]:
        """The App's installation on an organization, else on a user account (``ProviderError`` 404: none)."""
        try:
            data: dict[str, Any] = self._send("GET", f"/orgs/{quote(owner, safe='')}/installation")
        except ProviderError as exc:
            if not exc.not_found:
                raise
            data = self._send("GET", f"/users/{quote(owner, safe='')}/installation")
        return data

    def mint(self, installation_id: str) -> CachedToken:
        """A new installation token and its expiry."""
        data = self._send("POST", f"/app/installations/{quote(str(installation_id), safe='')}/access_tokens")
        if not isinstance(data, dict) or not data.get("token") or not data.get("expires_at"):
            raise ProviderError("GitHub API answered an installation token without 'token' or 'expires_at'")
        expires = datetime.fromisoformat(str(data["expires_at"]).replace("Z", "+00:00"))
        return CachedToken(str(data["token"]), expires.timestamp())


class AppCredential(Credential):
    """An installation of a GitHub App: its tokens minted from the App's key, cached per process."""

    def __init__(self, base_url: str, app_id: str, private_key: str, installation_id: str | None,
                 owner: str | None) -> None:
        super().__init__("app", owner)
        self.api = AppApi(base_url, app_id, private_key)
        self.installation_id = installation_id
        self._used: str | None = None

    def _key(self) -> tuple[str, str, str]:
        if self.installation_id is None:
            if not self.owner:
                raise ProviderError("GitHub App integration has neither installationId nor owner")
            self.installation_id = str(self.api.installation_for(self.owner)["id"])
        return (self.api.base_url, self.api.app_id, self.installation_id)

    def headers(self, token_headers: TokenHeaders) -> dict[str, str]:
        key = self._key()
        cached = TOKENS.get(key, lambda: self.api.mint(key[2]))
        self._used = cached.token
        return token_headers(cached.token)

    def renew(self) -> bool:
        if self.installation_id is None:
            return False
        TOKENS.drop(self._key(), self._used)
        return True

    def secrets(self) -> tuple[str, ...]:
        return (self._used,) if self._used else ()

    def expires_at(self) -> datetime | None:
        cached = TOKENS.peek((self.api.base_url, self.api.app_id, self.installation_id or ""))
        return datetime.fromtimestamp(cached.expires_at, UTC) if cached else None

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described.update(appId=self.api.app_id, installationId=self.installation_id,
                         tokenLifetime="installation tokens of one hour, minted on demand and cached per process")
        return described

    def __repr__(self) -> str:
        return f"AppCredential(app_id={self.api.app_id!r}, installation_id={self.installation_id!r})"


def base_url_for(host: str, api_base_url: str | None) -> str:
    return (api_base_url or default_api_base_url("github", host)).rstrip("/")


def _install_url(host: str, slug: str | None) -> str:
    if not slug:
        return "the App's public page (Install App)"
    return (f"https://github.com/apps/{slug}/installations/new" if host == "github.com"
            else f"https://{host}/github-apps/{slug}/installations/new")


def _unreachable(exc: ProviderError, base: str) -> InvalidInput:
    return InvalidInput(f"GitHub's API at {base} could not be asked about the App ({exc.message}); check apiBaseUrl "
                        "(https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise Server)",
                        fields={"apiBaseUrl": ["must be the GitHub API root the App lives on"]})


def check_app(host: str, api_base_url: str | None, app_id: str | None, private_key: str | None,
              owner: str | None, installation_id: str | None) -> dict[str, Any]:
    """Verify a GitHub App integration against the API, as a client using it would: the key parses and
    signs for the App, the App is installed for the owner (or has the installation given), and the
    installation is not suspended. Returns ``installation_id`` and ``owner`` to store; a 400 naming the
    field and the fix otherwise."""
    if not app_id:
        raise InvalidInput("a GitHub App integration needs appId (the App ID in the App's settings, General)",
                           fields={"appId": ["required for credentialKind app"]})
    if not private_key:
        raise InvalidInput(f"a GitHub App integration needs privateKey; {KEY_FIX}",
                           fields={"privateKey": ["required for credentialKind app"]})
    if not owner and not installation_id:
        raise InvalidInput("a GitHub App integration needs owner (the organization or user the App is installed "
                           "on) or installationId", fields={"owner": ["required for credentialKind app"]})
    base = base_url_for(host, api_base_url)
    api = AppApi(base, app_id, private_key)
    try:
        app = api.app()
    except ProviderError as exc:
        if exc.status_code == 401:
            raise InvalidInput(f"GitHub rejected the App's JWT (401): appId {app_id} and privateKey do not belong "
                               "together, or the key was deleted; give the App ID and a current key of that App",
                               fields={"appId": ["must be the ID of the App the key belongs to"],
                                       "privateKey": ["must be a current key of App " + str(app_id)]}) from None
        if exc.status_code is None or exc.status_code == 404:
            raise _unreachable(exc, base) from None
        raise
    slug = app.get("slug") if isinstance(app, dict) else None
    field = "installationId" if installation_id else "owner"
    try:
        installation = api.installation(installation_id) if installation_id else api.installation_for(str(owner))
    except ProviderError as exc:
        if not exc.not_found:
            raise
        what = f"has no installation {installation_id}" if installation_id else f"is not installed for {owner}"
        raise InvalidInput(f"GitHub App {slug or app_id} {what}; install it on the account at "
                           f"{_install_url(host, slug)}, then give that account as owner",
                           fields={field: [f"App {slug or app_id} {what}"]}) from None
    account = installation.get("account") if isinstance(installation, dict) else None
    login = str(account.get("login")) if isinstance(account, dict) and account.get("login") else None
    if owner and login and login.lower() != owner.lower():
        raise InvalidInput(f"installation {installation_id} of App {slug or app_id} is on account {login}, not on "
                           f"owner {owner}; give owner {login}, or the installation of {owner}",
                           fields={"installationId": [f"belongs to {login}, not {owner}"]})
    if installation.get("suspended_at"):
        raise InvalidInput(f"installation {installation.get('id')} of App {slug or app_id} on {login or owner} is "
                           f"suspended (since {installation['suspended_at']}); unsuspend it in the account's settings "
                           "(Settings > GitHub Apps > Configure > Unsuspend)",
                           fields={field: ["the App's installation is suspended"]})
    return {"installation_id": str(installation["id"]), "owner": owner or login}
