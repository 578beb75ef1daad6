"""A small on-disk cache of member listings, keyed by cursor (content digest and ETag).

Change detection needs the member digests of both versions, but only the newest version can be
downloaded. So every version the plugin downloads leaves its listing here; comparing with an older
cursor works when that cursor's listing was recorded on this machine, and otherwise the change is
reported as ``unknown`` (changed, without the list of files).

Location: ``$JOLLI_ARCHIVE_CACHE``, else ``$JOLLI_HOME/cache/archive``, else
``$XDG_CACHE_HOME/jolli-archive`` (``~/.cache/jolli-archive``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from jolli_archive.fetch import Snapshot


def cache_dir() -> Path:
    """Where listings are kept (see the module docstring)."""
    explicit = os.environ.get("JOLLI_ARCHIVE_CACHE")
    if explicit:
        return Path(explicit)
    home = os.environ.get("JOLLI_HOME")
    if home:
        return Path(home) / "cache" / "archive"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "jolli-archive"


def _path(url: str, cursor: str) -> Path:
    key = hashlib.sha256(f"{url}\n{cursor}".encode()).hexdigest()
    return cache_dir() / f"{key}.json"


def save(snapshot: Snapshot) -> None:
    """Record a version's listing under its digest and, when the server sent one, its ETag."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    body = json.dumps(
        {"digest": snapshot.digest, "etag": snapshot.etag, "members": snapshot.members}, sort_keys=True
    )
    for cursor in filter(None, (snapshot.digest, snapshot.etag)):
        target = _path(snapshot.url, cursor)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(body, encoding="utf-8")
        os.replace(tmp, target)


def load(url: str, cursor: str) -> dict[str, str] | None:
    """The member listing recorded for ``cursor`` of ``url``, or ``None`` when this machine never saw it."""
    try:
        data = json.loads(_path(url, cursor).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    members = data.get("members")
    return members if isinstance(members, dict) else None


def same_version(url: str, a: str, b: str) -> bool:
    """Whether two cursors (a digest and an ETag, say) name one recorded version."""
    if a == b:
        return True
    for cursor, other in ((a, b), (b, a)):
        try:
            data = json.loads(_path(url, cursor).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if other in (data.get("digest"), data.get("etag")):
            return True
    return False
