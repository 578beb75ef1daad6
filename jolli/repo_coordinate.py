"""A repository's canonical coordinate, ``host/owner/repo``: the value and the one way to split its text.

A leaf of the core (it imports only :mod:`jolli.errors`), so providers, matching and the events can use
coordinates without loading the plugin manager. Turning what users paste into a coordinate, which needs
the providers' URL shapes, is :mod:`jolli.coordinates`' job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jolli.errors import InvalidInput

#: The seed's rule for a canonical coordinate.
COORDINATE_RE = re.compile(r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+/[a-zA-Z0-9._-]+\Z")


@dataclass(frozen=True, slots=True)
class RepoCoordinate:
    """A canonical repository coordinate. ``owner`` holds ``/`` only for nested namespaces."""

    host: str
    owner: str
    name: str

    def __str__(self) -> str:
        return f"{self.host}/{self.owner}/{self.name}"

    @property
    def path(self) -> str:
        """``owner/name``: the part after the host."""
        return f"{self.owner}/{self.name}"

    @classmethod
    def of(cls, repo: Any) -> RepoCoordinate:
        """``repo`` as a coordinate: a canonical ``host/owner/repo`` string split (the host before the first
        ``/``, the name after the last), or anything with ``host``, ``owner`` and ``name``.

        Raises :class:`jolli.errors.InvalidInput` when a string has no host, owner or name.
        """
        if isinstance(repo, RepoCoordinate):
            return repo
        if not isinstance(repo, str):
            return cls(repo.host, repo.owner, repo.name)
        host, _, rest = repo.partition("/")
        owner, _, name = rest.rpartition("/")
        if not host or not owner or not name:
            raise InvalidInput(
                f"repo {repo!r} is not a coordinate: expected host/owner/repo, e.g. github.com/org/backend",
                fields={"repo": ["must be host/owner/repo"]},
            )
        return cls(host, owner, name)
