"""Orgs and API tokens: creating, finding and revoking them (no Flask here; the CLI uses it too).

A token is ``jolli_`` followed by 43 URL-safe random characters. Only its SHA-256 is stored, with its
first characters as a ``prefix`` to tell tokens apart in listings; the token itself exists only in the
return value of :func:`create_token`, shown once by ``jolli token create``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from jolli.errors import InvalidInput
from jolli.formats import NAME_HINT, NAME_RE
from jolli.store import sql as raw
from jolli.store.models import ApiToken, Org, utcnow

TOKEN_PREFIX = "jolli_"
PREFIX_CHARS = 12
#: ``last_used_at`` is written at most this often per token, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The stored form of a token: hex SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_org(name: str) -> Org:
    """A new org; ``InvalidInput`` for a bad or taken name."""
    if not re.match(NAME_RE, name or ""):
        raise InvalidInput(f"org name {name!r} is invalid: {NAME_HINT}", fields={"name": [NAME_HINT]})
    if Org.select().where(Org.name == name).exists():
        raise InvalidInput(f"org {name!r} already exists", fields={"name": ["already exists"]})
    return Org.create(name=name)


def get_org(name: str) -> Org:
    """The org called ``name``; ``InvalidInput`` naming the known ones when missing."""
    org = Org.get_or_none(Org.name == name)
    if org is None:
        known = ", ".join(o.name for o in Org.select().order_by(Org.name).limit(20)) or "none yet"
        raise InvalidInput(
            f"no org called {name!r} (known: {known}); create it with `jolli org create {name}`",
            fields={"org": ["unknown org"]},
        )
    return org


def create_token(org: Org, name: str | None = None) -> tuple[ApiToken, str]:
    """Store a new token for ``org``; return the row and the token (the only time it is known)."""
    if name is not None and not (1 <= len(name) <= 128):
        raise InvalidInput("token name must be 1-128 characters", fields={"name": ["1-128 characters"]})
    token = new_token()
    row = ApiToken.create(org=org, name=name, token_hash=hash_token(token), prefix=token[:PREFIX_CHARS])
    return row, token


def find_token(token: str) -> ApiToken | None:
    """The live (not revoked) token row for ``token``, with its org loaded; ``None`` if unknown."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 256:
        return None
    digest = hash_token(token)
    row = _token_by_hash(digest)
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.update(last_used_at=now).where(ApiToken.id == row.id).execute()
        row.last_used_at = now
    return row


_TOKEN_COLUMNS, _ORG_COLUMNS = raw.columns(ApiToken), raw.columns(Org)
#: Every request reads its token and org: fixed SQL, no query building.
_TOKEN_SQL = (
    "SELECT " + ", ".join([f"t.{c}" for c in _TOKEN_COLUMNS] + [f"o.{c}" for c in _ORG_COLUMNS])
    + " FROM api_token t JOIN org o ON o.id = t.org_id WHERE t.token_hash = ? AND t.revoked_at IS NULL"
)


def _token_by_hash(digest: str) -> ApiToken | None:
    """The live token with this SHA-256 (hex), its ``org`` loaded; ``None`` if unknown or revoked."""
    found = raw.rows(_TOKEN_SQL, (digest,))
    if not found:
        return None
    row = raw.instance(ApiToken, _TOKEN_COLUMNS, found[0][:len(_TOKEN_COLUMNS)])
    row.org = raw.instance(Org, _ORG_COLUMNS, found[0][len(_TOKEN_COLUMNS):])
    return row


def revoke_token(token_id: int, org: Org | None = None) -> ApiToken:
    """Mark a token revoked (idempotent); ``InvalidInput`` when there is no such token."""
    query = ApiToken.select().where(ApiToken.id == token_id)
    if org is not None:
        query = query.where(ApiToken.org == org)
    row = query.first()
    if row is None:
        raise InvalidInput(f"no token with id {token_id}", fields={"id": ["unknown token"]})
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        ApiToken.update(revoked_at=row.revoked_at).where(ApiToken.id == row.id).execute()
    return row
