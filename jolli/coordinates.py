"""Repo coordinates: the canonical ``host/owner/repo`` form and everything users paste that maps to it.

``parse`` is strict (the seed's regex, or a provider's nested namespace); ``normalize`` accepts URLs,
scp-like addresses and browser links and returns the canonical coordinate, or raises
:class:`jolli.errors.InvalidCoordinate` naming the input (credentials masked) and what is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jolli.errors import InvalidCoordinate

#: The seed's rule for a canonical coordinate.
COORDINATE_RE = re.compile(r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+/[a-zA-Z0-9._-]+$")


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
