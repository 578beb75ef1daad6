"""Helpers shared by the webhook parsers: JSON decoding, SHAs, hosts, refs and coordinates.

Canonical coordinates built here follow SPEC section 3: the host lower-cased and without port or
credentials; owner and name kept as the provider reports them (a provider may canonicalise further,
see ``bitbucket_datacenter``). Errors are :class:`jolli.errors.InvalidInput` naming the field that is
wrong, never echoing the body (some bodies carry secrets, e.g. Gogs' ``secret`` field).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from jolli.errors import InvalidInput
from jolli.provider import ZERO_SHA, CanonicalPush

_SEGMENT_RE = re.compile(r"^[a-zA-Z0-9._-]+$")
_HOST_RE = re.compile(r"^[a-z0-9.-]+$")
_SHA_RE = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_SCP_RE = re.compile(r"^(?:[^@/]+@)?([^:/]+):")


def invalid(message: str, field: str = "body") -> InvalidInput:
    """An :class:`InvalidInput` for a webhook body, with ``fields`` set for the problem document."""
    return InvalidInput(message, fields={field: [message]})


def load_json(body: bytes) -> dict[str, Any]:
    """Decode a JSON object body, or raise :class:`InvalidInput` saying what is wrong."""
    if not body or not bytes(body).strip():
        raise invalid("webhook body is empty")
    try:
        decoded = bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid("webhook body is not UTF-8 JSON") from exc
    try:
        data = json.loads(decoded)
    except ValueError as exc:
        # JSONDecodeError's message names the position only, never the content.
        raise invalid(f"webhook body is not valid JSON ({exc.args[0] if exc.args else 'decode error'})") from exc
    if not isinstance(data, dict):
        raise invalid("webhook body must be a JSON object")
    return data


def obj(data: Any, field: str) -> dict[str, Any]:
    """``data[field]`` when it is a JSON object, else :class:`InvalidInput`."""
    value = data.get(field) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        raise invalid(f"webhook body has no '{field}' object", field)
    return value


def maybe_obj(data: Any, field: str) -> dict[str, Any]:
    """``data[field]`` when it is a JSON object, else an empty dict."""
    value = data.get(field) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def text(data: Any, field: str, where: str = "") -> str:
    """``data[field]`` when it is a non-empty string, else :class:`InvalidInput`."""
    value = data.get(field) if isinstance(data, dict) else None
    name = f"{where}.{field}" if where else field
    if not isinstance(value, str) or not value:
        raise invalid(f"webhook body has no '{name}' string", name)
    return value


def sha(value: Any, field: str) -> str:
    """A full commit SHA (40 or 64 hex digits, lower-cased); all zeros becomes :data:`ZERO_SHA`."""
    if not isinstance(value, str) or not _SHA_RE.match(value.lower()):
        raise invalid(f"'{field}' is not a full commit SHA (40 hex digits)", field)
    value = value.lower()
    return ZERO_SHA if not value.strip("0") else value


#: At most this many listed commit ids are kept per push (GitHub lists at most 2048).
MAX_COMMITS = 2048


def commit_ids(data: Any, key: str = "commits", id_key: str = "id") -> tuple[str, ...]:
    """The ids of the commits a push lists (``data[key][*][id_key]``), as order evidence: the valid ones,
    at most :data:`MAX_COMMITS`; anything malformed is left out rather than refused (it is only a hint)."""
    listed = data.get(key) if isinstance(data, dict) else None
    if not isinstance(listed, list):
        return ()
    found = []
    for item in listed[:MAX_COMMITS]:
        value = item.get(id_key) if isinstance(item, dict) else None
        if isinstance(value, str) and _SHA_RE.match(value.lower()):
            found.append(value.lower())
    return tuple(found)


def host_of(url: Any) -> str | None:
    """Lower-case host of an URL or scp-like address, without port or credentials; ``None`` if none."""
    if not isinstance(url, str) or not url:
        return None
    if "://" in url:
        try:
            host = urlsplit(url).hostname
        except ValueError:
            return None
    else:
        match = _SCP_RE.match(url)
        host = match.group(1).lower() if match else None
    return host if host and _HOST_RE.match(host) else None


def coordinate(host: str | None, owner: str, name: str, *, nested: bool = False) -> str:
    """The canonical ``host/owner/name``; ``owner`` may span segments only when ``nested``."""
    if not host:
        raise invalid("webhook body does not say which host the repository is on", "repository")
    segments = owner.split("/") if nested else [owner]
    if not all(_SEGMENT_RE.match(part) for part in [*segments, name]):
        raise invalid(
            "repository path in the webhook body is not a valid owner/name "
            "(letters, digits, '.', '_' and '-' only)",
            "repository",
        )
    if name.endswith(".git"):
        name = name[: -len(".git")]
    return f"{host}/{owner}/{name}"


def split_path(path: str, *, nested: bool = False) -> tuple[str, str]:
    """Split ``owner/name`` (or ``group/sub/name`` when ``nested``) into owner and name."""
    parts = path.strip("/").split("/")
    if len(parts) < 2 or (len(parts) > 2 and not nested):
        raise invalid("repository path in the webhook body is not owner/name", "repository")
    return "/".join(parts[:-1]), parts[-1]


def owner_and_name(repository: dict[str, Any], owner_keys: tuple[str, str]) -> tuple[str, str]:
    """``(owner, name)`` of a repository object: from ``full_name``, else ``owner.<key>`` and ``name``."""
    full_name = repository.get("full_name")
    if isinstance(full_name, str) and full_name:
        return split_path(full_name)
    owner_obj = obj(repository, "owner")
    first, second = owner_keys
    owner = owner_obj.get(first) or text(owner_obj, second, "repository.owner")
    return owner, text(repository, "name", "repository")


def full_ref(ref: str, kind: str = "branch") -> str:
    """A full ref name: ``main`` becomes ``refs/heads/main`` (or ``refs/tags/...`` for tags)."""
    if ref.startswith("refs/"):
        return ref
    return f"refs/tags/{ref}" if kind == "tag" else f"refs/heads/{ref}"


def now() -> datetime:
    """The aware UTC time a delivery is parsed at."""
    return datetime.now(UTC)


def push(repo: str, ref: str, before: str, after: str, delivery_id: str | None, *,
         received_at: datetime | None = None, commits: tuple[str, ...] = ()) -> CanonicalPush:
    """A push from ``before`` to ``after``: a branch created when ``before`` is all zeros, deleted when
    ``after`` is (the convention every provider's payload follows), never marked forced (no payload says)."""
    return CanonicalPush(repo=repo, ref=ref, before=before, after=after, forced=False, created=before == ZERO_SHA,
                         deleted=after == ZERO_SHA, delivery_id=delivery_id,
                         received_at=received_at or now(), commits=commits)
