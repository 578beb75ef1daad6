"""The console's session: a signed cookie naming the API token it was opened with, and a CSRF token.

Signing in takes an API token, verified as the API verifies it (:func:`jolli.store.admin.find_token`); the
cookie then holds only the token's id, its org and a random CSRF token, never the token itself. It is
signed (itsdangerous) with a key derived from the project's secret keys (:mod:`jolli.secrets`; every
configured key verifies, the newest signs), expires after :data:`MAX_AGE` seconds, and is HttpOnly,
SameSite=Strict, limited to ``/console`` and Secure whenever the request came over HTTPS. A revoked token
ends its sessions within :data:`RECHECK_SECONDS` (each process re-reads the token at most that often).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as random
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from jolli import secrets
from jolli.store.db import database
from jolli.store.models import ApiToken
from jolli.store.sql import in_org

COOKIE = "jolli_console"
PATH = "/console"
#: A session lasts this long (seconds) after sign-in.
MAX_AGE = 12 * 3600
#: How often (seconds) each process asks the database whether a session's token is still live.
RECHECK_SECONDS = 10.0
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SALT = "jolli.console.session"
_DERIVE = b"jolli console session cookie v1"


@dataclass(frozen=True)
class Session:
    """What the cookie says: the CSRF token always; the token id and org once signed in."""

    csrf: str
    token_id: int | None = None
    org_id: int | None = None
    org_name: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.token_id is not None


_serializers: dict[tuple[bytes, ...], URLSafeTimedSerializer] = {}


def _serializer() -> URLSafeTimedSerializer:
    keyring = secrets.load_keyring() or secrets.create_key_file()
    found = _serializers.get(keyring.keys)
    if found is None:
        derived = [hmac.new(key, _DERIVE, hashlib.sha256).digest() for key in reversed(keyring.keys)]
        found = _serializers[keyring.keys] = URLSafeTimedSerializer(derived, salt=_SALT)  # the last one signs
    return found


def read() -> Session | None:
    """The request's session, if its cookie is present, well signed and not expired."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        data: Any = _serializer().loads(value, max_age=MAX_AGE)
    except BadSignature:  # SignatureExpired included
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), str):
        return None
    return Session(csrf=data["c"], token_id=data.get("t"), org_id=data.get("o"), org_name=data.get("n"))


def anonymous() -> Session:
    """A fresh session that is not signed in (it carries the CSRF token of the sign-in form)."""
    return Session(csrf=random.token_urlsafe(32))


def write(response: Response, session: Session) -> None:
    """Set the session cookie on ``response``."""
    data = {"c": session.csrf, "t": session.token_id, "o": session.org_id, "n": session.org_name}
    response.set_cookie(COOKIE, _serializer().dumps(data), max_age=MAX_AGE, path=PATH, httponly=True,
                        secure=request.is_secure, samesite="Strict")


def clear(response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(COOKIE, path=PATH, httponly=True, secure=request.is_secure, samesite="Strict")


def csrf_ok(session: Session | None) -> bool:
    """Whether the request carries the session's CSRF token (form field or header)."""
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    return session is not None and bool(sent) and hmac.compare_digest(sent.encode(), session.csrf.encode())


_live: dict[tuple[int, int, int], tuple[float, bool]] = {}
_live_lock = threading.Lock()


def token_live(token_id: int, org_id: int) -> bool:
    """Whether API token ``token_id`` of org ``org_id`` is still live (not revoked, not deleted); asked of the
    database at most every :data:`RECHECK_SECONDS` per process."""
    now = time.monotonic()
    key = (id(database.obj), token_id, org_id)  # (tests open several databases in one process)
    cached = _live.get(key)
    if cached is not None and now - cached[0] < RECHECK_SECONDS:
        return cached[1]
    row = in_org(ApiToken, token_id, org_id)
    live = row is not None and row.revoked_at is None
    with _live_lock:
        if len(_live) > 10000:
            _live.clear()
        _live[key] = (now, live)
    return live
