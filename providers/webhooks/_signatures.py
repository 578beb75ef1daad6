"""Constant-time checks of webhook signatures and tokens, shared by every provider.

Every check answers ``False`` (never raises) for a missing header, a missing or empty secret, or a
malformed value: an unsigned delivery is never accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name``, looked up case-insensitively; ``None`` when absent."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, item in headers.items():
        if key.lower() == wanted:
            return item
    return None


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of ``body`` keyed with ``secret`` (UTF-8)."""
    return hmac.new(secret.encode("utf-8"), bytes(body), hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    # compare_digest on bytes: a non-ASCII header value must fail, not raise.
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "surrogateescape"))


def hex_signature_matches(secret: str, body: bytes, value: str | None, prefix: str = "") -> bool:
    """Whether ``value`` is ``prefix`` + the HMAC-SHA256 hex of ``body`` (hex case ignored)."""
    if not secret or value is None:
        return False
    value = value.strip()
    if prefix:
        if value[: len(prefix)].lower() != prefix:
            return False
        value = value[len(prefix) :]
    return _same(hmac_sha256_hex(secret, body), value.lower())


def verify_prefixed(
    headers: Mapping[str, str], body: bytes, secret: str, header: str, prefix: str = "sha256="
) -> bool:
    """Check a ``<header>: sha256=<hex>`` signature (GitHub, Bitbucket Cloud and Data Center)."""
    return hex_signature_matches(secret, body, get_header(headers, header), prefix)


def token_matches(secret: str, value: str | None) -> bool:
    """Whether a plain shared token (GitLab's ``X-Gitlab-Token``) equals ``secret``, in constant time."""
    if not secret or value is None:
        return False
    return _same(secret, value)


def basic_auth_matches(secret: str, value: str | None) -> bool:
    """Whether an ``Authorization: Basic`` header carries ``secret``, in constant time.

    A ``secret`` holding ``:`` is ``user:password`` and both must match; otherwise it is the password and
    any user name is accepted (Azure DevOps service hooks send the credentials configured on them).
    """
    if not secret or value is None:
        return False
    scheme, _, encoded = value.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    _, sep, password = decoded.partition(":")
    if not sep:
        return False
    return _same(secret, decoded if ":" in secret else password)
