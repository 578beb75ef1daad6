"""Finding ``.jolli/sources.json`` the way git finds ``.git``.

The nearest ``.jolli/sources.json`` from the current folder upwards is used. When there is none, a new
one goes at the top level of the git work tree the current folder is in, else in the current folder.
``JOLLI_SOURCES_FILE`` names the file explicitly (scripts, tests).
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_DIR = ".jolli"
CONFIG_NAME = "sources.json"
ENV_FILE = "JOLLI_SOURCES_FILE"


def _start(start: str | os.PathLike[str] | None) -> Path:
    return Path(os.path.abspath(start if start is not None else os.getcwd()))


def _ancestors(start: Path) -> list[Path]:
    return [start, *start.parents]


def find_sources_file(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest existing ``.jolli/sources.json`` from ``start`` (default: cwd) upwards, or ``None``."""
    env = os.environ.get(ENV_FILE)
    if env:
        path = Path(os.path.abspath(env))
        return path if path.exists() else None
    for folder in _ancestors(_start(start)):
        candidate = folder / CONFIG_DIR / CONFIG_NAME
        if candidate.exists():
            return candidate
    return None


def git_toplevel(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest folder from ``start`` upwards holding ``.git`` (a folder, or a file for worktrees)."""
    for folder in _ancestors(_start(start)):
        if (folder / ".git").exists():
            return folder
    return None


def sources_file_path(start: str | os.PathLike[str] | None = None) -> Path:
    """The sources file to use: the existing one, else where a new one would be created."""
    found = find_sources_file(start)
    if found is not None:
        return found
    env = os.environ.get(ENV_FILE)
    if env:
        return Path(os.path.abspath(env))
    base = git_toplevel(start) or _start(start)
    return base / CONFIG_DIR / CONFIG_NAME
