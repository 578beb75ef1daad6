"""Hiding secrets in what jolli shows: one address (:func:`mask_credentials`) or free text (:func:`redact`).

Every message, log line and display of a URL goes through one of these two, so a token in a remote URL,
a database password or an ``Authorization`` header is never printed, at any log level.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "***"

#: A query parameter whose name says it holds a secret (``?access_token=``, ``&password=``, ``;sig=`` ...).
_SECRET_QUERY_RE = re.compile(
    r"([?&;][^=&#\s]*(?:token|password|passwd|pwd|secret|key|auth|sig)[^=&#\s]*=)[^&#\s]*", re.IGNORECASE
)
_DOTTED_HOST_AT_RE = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]*)?(?:[/:?#]|$)")
_URL_CREDENTIALS_RE = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")
_AUTH_VALUE_RE = re.compile(
    r"(?P<key>\b(?:authorization|private-token)\b['\"]?\s*[:=]\s*['\"]?)"
    r"(?:(?:bearer|token|basic)\s+)?[^\s'\",}]+",
    re.IGNORECASE,
)


def mask_credentials(text: str) -> str:
    """``text`` (one address) with its userinfo replaced by ``***`` and secret query values masked.

    The user ``git`` of ssh addresses is kept (it is no secret). Credentials holding a raw ``/`` or ``@``
    are recognised too, erring on the side of hiding too much.
    """
    span = userinfo_span(text)
    if span is not None:
        start, at, _ = span
        if text[start:at] != "git":
            text = text[:start] + REDACTED + text[at:]
    if "=" in text:
        text = _SECRET_QUERY_RE.sub(r"\1" + REDACTED, text)
    return text


def userinfo_span(text: str) -> tuple[int, int, bool] | None:
    """Where the userinfo of one address is: ``(start, end, clean)``, ``text[end]`` being its ``@``.

    ``clean`` is false when it had to be guessed: no ``@`` before the first ``/`` but a later ``@`` that
    is followed by a dotted host, or that follows a ``user:pass`` part (a raw ``/`` in the credentials).
    """
    if "@" not in text:
        return None
    sep = text.find("://")
    start = 0 if sep == -1 else sep + 3
    slash = text.find("/", start)
    authority_end = len(text) if slash == -1 else slash
    last = text.rfind("@")
    if last > authority_end and _DOTTED_HOST_AT_RE.match(text, last + 1):
        return start, last, False
    at = text.rfind("@", start, authority_end)
    if at != -1:
        return start, at, True
    if last > authority_end and ":" in text[start:authority_end]:
        return start, last, False
    return None


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL credentials, token parameters, auth header values and ``secrets`` masked."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _URL_CREDENTIALS_RE.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    text = _SECRET_QUERY_RE.sub(r"\1" + REDACTED, text)
    return _AUTH_VALUE_RE.sub(lambda m: f"{m['key']}{REDACTED}", text)
