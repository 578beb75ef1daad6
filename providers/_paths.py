"""URL pieces shared by the built-in providers: the flat ``owner/repo`` path shape and quoting of refs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

_FULL_SHA_RE = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")


#: Git's smart-HTTP paths below a clone URL (``/info/refs``), the same on every host.
GIT_HTTP_PAGES = frozenset({"info", "git-upload-pack", "git-receive-pack", "objects", "HEAD"})


def flat_owner_repo(segments: Sequence[str], pages: frozenset[str]) -> tuple[str, str] | None:
    """``owner/repo``, optionally followed by one of the host's repository pages (``/tree/...``).

    Anything else after ``owner/repo`` is refused rather than dropped, so a mistyped nested path
    (``github.com/a/b/c``) is an error instead of silently becoming ``github.com/a/b``.
    """
    if len(segments) == 2 or (len(segments) > 2 and (segments[2] in pages or segments[2] in GIT_HTTP_PAGES)):
        return segments[0], segments[1]
    return None


def ref_part(ref: str) -> str:
    """A branch, tag or SHA as a URL path part: ``/`` kept (``feature/x``), everything unsafe escaped."""
    return quote(ref, safe="/")


def path_part(path: str) -> str:
    """A file path inside the repository as a URL path part, without leading or trailing ``/``."""
    return quote(path.strip("/"), safe="/")


def is_full_sha(ref: str) -> bool:
    """Whether ``ref`` is a full commit SHA (SHA-1 or SHA-256), not a branch or tag name."""
    return _FULL_SHA_RE.fullmatch(ref) is not None
