"""How a provider API call authenticates: the one credential abstraction every provider client takes.

An integration holds one credential of a *kind* its provider declares (:class:`CredentialKind`): a token
sent as the provider's token header, a user name and password sent as HTTP Basic, or an App key from
which short-lived tokens are minted (GitHub Apps, in the GitHub provider). A :class:`Credential` gives the
headers of each call (:meth:`Credential.headers`), may be renewed once after a 401
(:meth:`Credential.renew`), names the values to mask in errors (:meth:`Credential.secrets`), and
describes itself without its secret (:meth:`Credential.describe`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jolli.errors import InvalidInput

TokenHeaders = Callable[[str], dict[str, str]]


def json_name(field: str) -> str:
    """The API's name of an integration field (``app_password`` -> ``appPassword``)."""
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class CredentialKind:
    """One shape of credential a provider accepts, and what an integration of that kind must give."""

    name: str
    title: str
    #: The integration fields this kind needs (``access_token``; ``username`` + ``app_password``; ...).
    needs: tuple[str, ...] = ("access_token",)
    #: The owner the credential belongs to must be given (a group, a workspace, an App's installation).
    needs_owner: bool = False
    #: The credential is for one repository: exactly one selected repo.
    single_repo: bool = False
    #: What to grant it: the read-only scopes jolli's calls need.
    scopes: str = ""
    #: It acts through an installation of an app on the owner (a GitHub App): the installation is looked up
    #: from the owner, and the app's webhook deliveries are routed by the installation they name.
    by_installation: bool = False

    def check(self, values: dict[str, Any]) -> None:
        """A 400 naming the field when ``values`` (an integration's, python names) do not fit this kind."""
        found_by_installation = self.by_installation and values.get("installation_id")
        if self.needs_owner and not values.get("owner") and not found_by_installation:
            raise InvalidInput(f"a {self.title} belongs to an owner: give owner",
                               fields={"owner": [f"required for credentialKind {self.name}"]})
        repos = values.get("repos")
        if self.single_repo and (not isinstance(repos, list) or len(repos) != 1):
            raise InvalidInput(f"a {self.title} is for one repository: give repos with exactly that one repo",
                               fields={"repos": [f"exactly one repo for credentialKind {self.name}"]})
        for field in self.needs:
            if not values.get(field):
                name = json_name(field)
                raise InvalidInput(f"credentialKind {self.name} needs {name}",
                                   fields={name: [f"required for credentialKind {self.name}"]})

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "needs": [json_name(f) for f in self.needs],
                "needsOwner": self.needs_owner, "singleRepo": self.single_repo, "scopes": self.scopes,
                "byInstallation": self.by_installation}


class Credential:
    """What a provider client authenticates with, for one integration."""

    #: Whether there is a secret to authenticate with at all.
    configured = True

    def __init__(self, kind: str, owner: str | None = None, expires_at: datetime | None = None) -> None:
        self.kind = kind
        self.owner = owner
        self._expires_at = expires_at

    def headers(self, token_headers: TokenHeaders) -> dict[str, str]:
        """The headers of the next call; ``token_headers`` formats a token the provider's way."""
        raise NotImplementedError

    def renew(self) -> bool:
        """After a 401: drop what was used and say whether a new credential can be tried (once)."""
        return False

    def secrets(self) -> tuple[str, ...]:
        """The values to mask wherever a message could carry them."""
        return ()

    def expires_at(self) -> datetime | None:
        """When the credential in use stops working, when known."""
        return self._expires_at

    def describe(self) -> dict[str, Any]:
        """Kind, owner and expiry (never the secret)."""
        expires = self.expires_at()
        return {"kind": self.kind, "owner": self.owner, "expiresAt": expires.isoformat() if expires else None,
                "configured": self.configured}


class TokenCredential(Credential):
    """A static token (personal, group, project, workspace, repository, HTTP access token ...)."""

    def __init__(self, token: str, kind: str = "token", owner: str | None = None,
                 expires_at: datetime | None = None) -> None:
        super().__init__(kind, owner, expires_at)
        self._token = token

    def headers(self, token_headers: TokenHeaders) -> dict[str, str]:
        return token_headers(self._token)

    def secrets(self) -> tuple[str, ...]:
        return (self._token,)

    def __repr__(self) -> str:
        return f"TokenCredential(kind={self.kind!r}, owner={self.owner!r})"


class BasicCredential(Credential):
    """A user name and password sent as HTTP Basic (Bitbucket Cloud app passwords)."""

    def __init__(self, username: str, password: str, kind: str = "app-password", owner: str | None = None,
                 expires_at: datetime | None = None) -> None:
        super().__init__(kind, owner, expires_at)
        self.username = username
        self._password = password

    def headers(self, token_headers: TokenHeaders) -> dict[str, str]:
        encoded = base64.b64encode(f"{self.username}:{self._password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {encoded}"}

    def secrets(self) -> tuple[str, ...]:
        encoded = base64.b64encode(f"{self.username}:{self._password}".encode()).decode("ascii")
        return (self._password, encoded)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "username": self.username}

    def __repr__(self) -> str:
        return f"BasicCredential(kind={self.kind!r}, username={self.username!r})"


class NoCredential(Credential):
    """No credential given: calls go unauthenticated (public repositories only)."""

    configured = False

    def __init__(self, kind: str = "none", owner: str | None = None) -> None:
        super().__init__(kind, owner)

    def headers(self, token_headers: TokenHeaders) -> dict[str, str]:
        return {}


#: The kind of every provider that declares none of its own: a token in the provider's token header.
TOKEN = CredentialKind("token", "access token")
