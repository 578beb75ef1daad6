"""Validation of an archive source's own fields (``url``, ``format``) and of its cursor values.

Errors are :class:`jolli.errors.InvalidInput` naming the field, so the API answers 400 with
``errors: {"url": ["..."]}`` and the CLI exits 2 with the same message.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

from jolli.errors import InvalidInput

#: Formats the source type reads; ``tar`` covers any compression tarfile detects by itself.
FORMATS = ("zip", "tar", "tar.gz", "tar.bz2", "tar.xz")
#: URL path endings and the format they imply, longest first.
SUFFIXES = (
    (".tar.gz", "tar.gz"),
    (".tgz", "tar.gz"),
    (".tar.bz2", "tar.bz2"),
    (".tbz2", "tar.bz2"),
    (".tar.xz", "tar.xz"),
    (".txz", "tar.xz"),
    (".tar", "tar"),
    (".zip", "zip"),
)
KNOWN_FIELDS = ("url", "format")
#: Keys of a whole source body: when present, the archive fields are under ``fields``.
SOURCE_KEYS = frozenset({"name", "type", "enabled", "fields", "repo", "branch", "integration_id", "integrationId"})
MAX_URL_LENGTH = 2048

DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
#: An HTTP entity tag (RFC 9110 section 8.8.3), strong or weak.
ETAG_RE = re.compile(r'^(W/)?"[\x21\x23-\x7e\x80-\xff]*"$')
MAX_CURSOR_LENGTH = 512


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", fields={field: [message]})


def format_from_url(url: str) -> str | None:
    """The format a URL's path ending implies (``.tar.gz`` -> ``tar.gz``), or ``None``."""
    path = urlsplit(url).path.lower()
    for suffix, fmt in SUFFIXES:
        if path.endswith(suffix):
            return fmt
    return None


def validate_url(value: Any, field: str = "url") -> str:
    """An absolute ``https://`` URL with a host and no credentials."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid(field, "is required: the https:// URL of a .zip or .tar(.gz|.bz2|.xz) file")
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(field, f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _invalid(field, "is not a valid URL") from None
    if parts.scheme.lower() != "https":
        raise _invalid(field, "must start with https:// (archives are only fetched over HTTPS)")
    if parts.username is not None or parts.password is not None:
        raise _invalid(field, "must not contain a user name or password; jolli never stores credentials in URLs")
    if not parts.hostname:
        raise _invalid(field, "must name a host, e.g. https://example.com/release.tar.gz")
    if parts.fragment:
        raise _invalid(field, "must not contain a #fragment")
    allowed = allowed_hosts()
    if allowed is not None and not host_allowed(parts.hostname, allowed):
        raise _invalid(field, f"host {parts.hostname!r} is not in JOLLI_ARCHIVE_ALLOWED_HOSTS")
    return url


def allowed_hosts() -> list[str] | None:
    """``JOLLI_ARCHIVE_ALLOWED_HOSTS`` (comma list; ``*.example.com`` covers subdomains), or ``None``: any."""
    raw = os.environ.get("JOLLI_ARCHIVE_ALLOWED_HOSTS")
    if raw is None:
        return None
    return [h.strip().lower() for h in raw.split(",") if h.strip()]


def host_allowed(host: str, allowed: list[str]) -> bool:
    host = host.lower()
    return any(host == a or (a.startswith("*.") and host.endswith(a[1:])) for a in allowed)


def validate_own_fields(own: Any, prefix: str = "") -> dict[str, Any]:
    """Check and normalise the archive's own fields (``url``, ``format``); ``format`` is inferred from
    the URL when left out. Error fields are named ``prefix + name`` (``fields.url`` in an API body)."""
    if not isinstance(own, dict):
        raise _invalid(prefix.rstrip(".") or "fields", "must be an object with url (and optionally format)")
    for name in own:
        if name not in KNOWN_FIELDS:
            raise _invalid(prefix + name, "unknown field for an archive source; known: " + ", ".join(KNOWN_FIELDS))
    url = validate_url(own.get("url"), prefix + "url")
    result: dict[str, Any] = {"url": url}
    fmt = own.get("format")
    if fmt is not None:
        if fmt not in FORMATS:
            raise _invalid(prefix + "format", "must be one of " + ", ".join(FORMATS))
        result["format"] = fmt
    elif inferred := format_from_url(url):
        result["format"] = inferred
    return result


def validate_fields(values: dict[str, Any]) -> dict[str, Any]:
    """A whole source (``name``, ``type``, ..., ``fields: {url, format}``) as the API passes it, or just
    the archive's own fields; returns it normalised, in the same shape."""
    if not isinstance(values, dict):
        raise _invalid("fields", "must be an object")
    if not SOURCE_KEYS.intersection(values):
        return validate_own_fields(values)
    result = dict(values)
    for key in ("repo", "branch", "integration_id", "integrationId"):
        if values.get(key) is not None:
            raise _invalid(key, f"an archive source has no {key}; its content is the file at fields.url")
    result["fields"] = validate_own_fields(values.get("fields") or {}, prefix="fields.")
    return result


def validate_cursor(value: str) -> str:
    """A content digest ``sha256:<64 hex>`` (lower-cased) or an HTTP ETag (``"abc"`` or ``W/"abc"``)."""
    if not isinstance(value, str):
        raise _invalid("value", "must be a string")
    text = value.strip()
    if text[:7].lower() == "sha256:":
        text = "sha256:" + text[7:].lower()
        if DIGEST_RE.match(text):
            return text
        raise _invalid("value", "a content digest must be sha256: followed by 64 hex digits")
    if len(text) <= MAX_CURSOR_LENGTH and ETAG_RE.match(text):
        return text
    raise _invalid(
        "value", 'must be a content digest (sha256:<64 hex digits>) or an HTTP ETag ("..." or W/"...")'
    )
