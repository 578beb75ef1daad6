"""From a canonical push to source events: which sources match, which spaces each affects.

A source matches a push when it is enabled, in the integration's org, has the same repo (compared
case-insensitively, as providers do) and the same branch, or no branch (any branch). Its affected spaces
are its enabled bindings whose ``jrnPattern``, when set, matches the event JRN; sorted ascending.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import peewee

from jolli.store.models import Source, SpaceSource


def matching_sources(org_id: int, repo: str, branch: str) -> list[Source]:
    """Enabled sources of ``org_id`` tracking ``repo`` on ``branch`` (or on any branch), by id."""
    return list(
        Source.select()
        .where(
            Source.org == org_id,
            Source.enabled == True,  # noqa: E712 - peewee expression
            peewee.fn.LOWER(Source.repo) == repo.lower(),
            Source.branch.is_null() | (Source.branch == branch),
        )
        .order_by(Source.id)
    )


def event_jrn_for(org_name: str, repo: str, branch: str) -> str:
    """The event JRN of a push to ``branch`` of ``repo`` in ``org_name``."""
    from jolli.jrn import event_jrn

    return str(event_jrn(org_name, repo, branch))


def affected_space_ids(source_id: int, jrn: str) -> list[int]:
    """Sorted ids of the spaces whose enabled binding to ``source_id`` accepts ``jrn``."""
    rows: Any = (
        SpaceSource.select(SpaceSource.space, SpaceSource.jrn_pattern)
        .where(SpaceSource.source == source_id, SpaceSource.enabled == True)  # noqa: E712
        .tuples()
    )
    return sorted({int(space_id) for space_id, pattern in rows if pattern_accepts(pattern, jrn)})


def pattern_accepts(pattern: str | None, jrn: str) -> bool:
    """Whether a binding's ``jrnPattern`` (``None`` or empty: no filter) accepts ``jrn``."""
    if not pattern:
        return True
    from jolli.jrn import matches

    return bool(matches(pattern, jrn))


def merge_space_ids(*groups: Iterable[int]) -> list[int]:
    """The sorted union of several lists of space ids."""
    return sorted({int(s) for group in groups for s in group})
