"""Bearer-token authentication: every ``/api`` call but health, openapi and webhooks needs one.

A valid token sets ``flask.g.org`` (the :class:`jolli.store.models.Org` it acts for) and ``flask.g.token``;
views read the org through :func:`current_org`. Webhooks authenticate by their provider's signature instead.
"""

from __future__ import annotations

from flask import g, request

from jolli.errors import Unauthorized
from jolli.store.admin import find_token
from jolli.store.models import Org

#: Paths served without a bearer token.
PUBLIC_PATHS = frozenset({"/api/health", "/api/openapi.json", "/api/webhooks"})
PUBLIC_PREFIXES = ("/api/webhooks/",)


def is_public(path: str) -> bool:
    """Whether ``path`` is served without a bearer token."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def authenticate() -> None:
    """``before_request`` hook: resolve the bearer token to its org, or answer 401."""
    if request.routing_exception is not None or is_public(request.path) or not request.path.startswith("/api/"):
        return  # 404/405 answer as such; public paths need no token; the console has its own sign-in
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "this call needs a header 'Authorization: Bearer <token>'; "
            "create a token with `jolli token create --org NAME`"
        )
    row = find_token(token)
    if row is None:
        raise Unauthorized("the bearer token is unknown or revoked")
    g.token = row
    g.org = row.org


def current_org() -> Org:
    """The org the current request acts for."""
    org: Org = g.org
    return org
