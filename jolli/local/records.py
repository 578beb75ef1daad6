"""The in-memory form of ``.jolli/sources.json`` and its errors, importable without marshmallow.

``jolli source list`` must start fast, and importing marshmallow alone costs tens of milliseconds, so
the records and the quick check of a well-formed file live here; the marshmallow schemas in
:mod:`jolli.local.schema` (built on :mod:`jolli.contracts`) stay the definition of the format and are
used for every write and whenever the quick check is not sure. Both check the same patterns
(:mod:`jolli.formats`); ``tests/local/test_document.py`` checks that they agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from jolli.errors import InvalidInput

VERSION = 1


@dataclass
class Entry:
    """One source in the file (the seed's LocalSourceEntry); ``name`` is kept for mounts only: the server
    source's name as last seen, so the mount can be found by name without the server."""

    mount_path: str
    type: str = "git"
    repo: str | None = None
    branch: str | None = None
    name: str | None = None


@dataclass
class Config:
    """The whole file (the seed's LocalSourceConfig)."""

    version: int = VERSION
    mounts: dict[str, Entry] = field(default_factory=dict)  # key: server source id
    virtual_sources: dict[str, Entry] = field(default_factory=dict)  # key: source name


class LocalConfigError(InvalidInput):
    """The sources file cannot be used as it is; the message names the file and what is wrong."""

    def __init__(self, path: os.PathLike[str] | str, problem: str, *, details: list[str] | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.details = details or []
        text = f"{self.path}: {problem}"
        if self.details:
            text += "\n" + "\n".join(f"  - {d}" for d in self.details)
        super().__init__(text)


class ConfigNotWritable(LocalConfigError):
    """The sources file (or its folder, lock or backup) cannot be written."""
