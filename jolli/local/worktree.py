"""Cheap checks of a mount, reading ``.git`` files directly instead of running ``git``.

``jolli source list`` checks every mount, so each check must cost a few file reads, not a process.
``jolli source show`` asks the source type (the real ``git``) instead. This reader understands the
common cases: a ``.git`` folder or a ``.git`` file (worktrees, submodules), ``HEAD``, and the ``origin``
URL in the repository's ``config``; anything unusual is reported as unknown rather than guessed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkTree:
    """What a mount path looks like on disk."""

    path: str
    exists: bool
    is_git: bool = False
    origin_url: str | None = None
    branch: str | None = None  # None: detached HEAD or unknown


def _git_dir(path: str) -> str | None:
    dot_git = os.path.join(path, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    if os.path.isfile(dot_git):
        try:
            with open(dot_git, encoding="utf-8") as handle:
                line = handle.readline().strip()
        except OSError:
            return None
        if line.startswith("gitdir:"):
            target = line[len("gitdir:") :].strip()
            return os.path.normpath(os.path.join(path, target))
    return None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


_SECTION = re.compile(r'^\s*\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]\s*(.*)$')


def origin_url_from_config(text: str) -> str | None:
    """The ``url`` of ``[remote "origin"]`` in a git config file, or ``None``."""
    in_origin = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        section = _SECTION.match(line)
        if section:
            in_origin = section.group(1).lower() == "remote" and section.group(2) == "origin"
            line = section.group(3).strip()
            if not line:
                continue
        if in_origin and "=" in line:
            key, _, value = line.partition("=")
            if key.strip().lower() == "url":
                return value.strip().strip('"') or None
    return None


def inspect(path: str) -> WorkTree:
    """Whether ``path`` exists and is the top of a git work tree, its ``origin`` URL and branch."""
    if not os.path.isdir(path):
        return WorkTree(path=path, exists=os.path.exists(path))
    git_dir = _git_dir(path)
    if git_dir is None or not os.path.isdir(git_dir):
        return WorkTree(path=path, exists=True)
    head = (_read(os.path.join(git_dir, "HEAD")) or "").strip()
    branch = head[len("ref: refs/heads/") :] if head.startswith("ref: refs/heads/") else None
    common = git_dir
    commondir = _read(os.path.join(git_dir, "commondir"))
    if commondir:
        common = os.path.normpath(os.path.join(git_dir, commondir.strip()))
    config = _read(os.path.join(common, "config")) or ""
    return WorkTree(path=path, exists=True, is_git=True, origin_url=origin_url_from_config(config), branch=branch)




def simple_coordinate(url: str) -> str | None:
    """``host/owner/repo`` of a remote URL (:func:`jolli.coordinates.normalize`, which folds host aliases
    such as ``ssh.github.com:443``), or ``None`` when it names no repository."""
    from jolli.coordinates import normalize

    try:
        return str(normalize(url))
    except Exception:  # noqa: BLE001 - a remote jolli cannot read names no repository it knows
        return None


def remote_matches(origin_url: str | None, repo: str | None) -> bool | None:
    """Whether a remote URL names ``repo``; ``None`` when there is nothing to compare or it cannot tell."""
    if not origin_url or not repo:
        return None
    found = simple_coordinate(origin_url)
    return None if found is None else found.casefold() == repo.casefold()


def display_remote(url: str) -> str:
    """A remote URL fit to print: its coordinate when plain, else the URL with any credentials masked."""
    simple = simple_coordinate(url)
    if simple is not None:
        return simple
    from jolli.redaction import mask_credentials

    return mask_credentials(url)
