"""Which integration covers a repo coordinate.

An integration covers a whole host (``owner=None``), or everything under one owner (a GitLab group also
covers its subgroups), optionally narrowed to selected repos. :class:`IntegrationIndex` hashes scopes by
``(host, owner)``, so a match costs one lookup per owner segment, whatever the number of integrations.
Hosts, owners and selected repos compare case-insensitively (providers treat them so).

Several integrations may cover one repo: the most specific wins (:func:`specificity`: an integration whose
selected repos name it, then the deepest owner, then the whole host); equally specific ones are
:class:`Ambiguous`, listing them. :func:`explain` says the same for every integration on the repo's host,
with the rule that chose or set aside each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jolli.errors import Ambiguous, NoMatch
from jolli.repo_coordinate import RepoCoordinate


@dataclass(frozen=True)
class IntegrationScope:
    """What one integration covers."""

    id: int | str
    provider: str
    host: str
    owner: str | None = None  # None: the whole host
    repos: frozenset[str] | None = None  # selected canonical repos; None: all under host/owner
    name: str | None = None
    _repos_lower: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.repos is not None:
            object.__setattr__(self, "_repos_lower", frozenset(r.lower() for r in self.repos))

    @classmethod
    def from_record(cls, record: Any) -> IntegrationScope:
        """Build from anything with ``id, provider, host, owner, repos, name`` (contract or store row)."""
        repos = getattr(record, "repos", None)
        return cls(
            id=record.id,
            provider=record.provider,
            host=record.host,
            owner=getattr(record, "owner", None) or None,
            repos=frozenset(repos) if repos is not None else None,
            name=getattr(record, "name", None),
        )

    def selects(self, canonical_lower: str) -> bool:
        """Whether the selected-repos filter lets ``canonical_lower`` (a lower-cased coordinate) through."""
        return self._repos_lower is None or canonical_lower in self._repos_lower

    def covers(self, repo: Any) -> bool:
        """Whether this integration covers ``repo``: the same host, an owner within its owner (a group
        covers its subgroups), and a repo within its selected repos when it has any."""
        host, owner, name = split_repo(repo)
        host, owner = host.lower(), owner.lower()
        if host != self.host.lower():
            return False
        mine = self.owner.strip("/").lower() if self.owner else None
        if mine is not None and owner != mine and not owner.startswith(mine + "/"):
            return False
        return self.selects(f"{host}/{owner}/{name.lower()}")

    def describe(self) -> dict[str, Any]:
        """What tells this scope apart from others covering the same repo."""
        return {
            "id": self.id,
            "name": self.name,
            "provider": self.provider,
            "host": self.host,
            "owner": self.owner,
            "scope": self.scope_text(),
            "repos": sorted(self.repos) if self.repos is not None else None,
        }

    def scope_text(self) -> str:
        where = f"all of {self.host}" if self.owner is None else f"owner {self.owner}"
        if self.repos is None:
            return where + ", all repos"
        return where + f", {len(self.repos)} selected repo" + ("" if len(self.repos) == 1 else "s")


def split_repo(repo: Any) -> tuple[str, str, str]:
    """``(host, owner, name)`` of a ``RepoCoordinate`` or a canonical ``host/owner/repo`` string
    (:meth:`RepoCoordinate.of <jolli.repo_coordinate.RepoCoordinate.of>`)."""
    coord = RepoCoordinate.of(repo)
    return coord.host, coord.owner, coord.name


def _id_order(scope: IntegrationScope) -> tuple[int, int, str]:
    return (0, scope.id, "") if isinstance(scope.id, int) else (1, 0, str(scope.id))


class IntegrationIndex:
    """Integration scopes hashed by ``(host, owner)`` for constant-time matching."""

    def __init__(self, scopes: Iterable[IntegrationScope] = ()) -> None:
        self._by_key: dict[tuple[str, str | None], list[IntegrationScope]] = defaultdict(list)
        self._count = 0
        for scope in scopes:
            self.add(scope)

    def add(self, scope: IntegrationScope) -> None:
        owner = scope.owner.strip("/").lower() if scope.owner else None
        self._by_key[(scope.host.lower(), owner or None)].append(scope)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def candidates(self, repo: Any) -> list[IntegrationScope]:
        """Every scope covering ``repo``, ordered by id."""
        host, owner, name = split_repo(repo)
        host, owner = host.lower(), owner.lower()
        canonical = f"{host}/{owner}/{name.lower()}"
        keys: list[tuple[str, str | None]] = [(host, None)]
        prefix = ""
        for segment in owner.split("/"):
            prefix = f"{prefix}/{segment}" if prefix else segment
            keys.append((host, prefix))
        found = [s for key in keys for s in self._by_key.get(key, ()) if s.selects(canonical)]
        return sorted(found, key=_id_order)

    def match(self, repo: Any) -> IntegrationScope:
        """The most specific scope covering ``repo``; :class:`NoMatch` when none does, :class:`Ambiguous` when
        several are equally specific."""
        found = most_specific(self.candidates(repo))
        text = "/".join(split_repo(repo))
        if not found:
            raise NoMatch(
                f"no integration covers {text}; register one for its host or owner, "
                "or add the repo to an integration's selected repos"
            )
        if len(found) > 1:
            listing = "; ".join(
                f"#{s.id}" + (f" {s.name!r}" if s.name else "") + f" ({s.provider}, {s.scope_text()})"
                for s in found
            )
            raise Ambiguous(
                f"{len(found)} integrations cover {text} equally specifically: {listing}; narrow one (owner, "
                "selected repos) or choose one with its id (--integration-id)",
                candidates=[s.describe() for s in found],
            )
        return found[0]


def specificity(scope: IntegrationScope) -> tuple[int, int]:
    """How specifically ``scope`` covers what it covers: selected repos first, then the owner's depth
    (``gitlab.com/platform/infra`` over ``gitlab.com/platform``), the whole host last."""
    depth = len(scope.owner.strip("/").split("/")) if scope.owner else 0
    return (1 if scope.repos is not None else 0, depth)


def most_specific(scopes: list[IntegrationScope]) -> list[IntegrationScope]:
    """The scopes of the highest :func:`specificity` among ``scopes`` (several: a tie), ordered by id."""
    if not scopes:
        return []
    best = max(specificity(s) for s in scopes)
    return [s for s in scopes if specificity(s) == best]


def why_specific(scope: IntegrationScope) -> str:
    """What makes ``scope`` as specific as it is, in words."""
    if scope.repos is not None:
        return "its selected repos name the repo"
    return f"owner {scope.owner}" if scope.owner else f"all of {scope.host}"


@dataclass(frozen=True)
class Considered:
    """One integration as :func:`explain` weighed it: ``verdict`` chosen, tied or set-aside, and the rule."""

    scope: IntegrationScope
    verdict: str
    rule: str

    def describe(self) -> dict[str, Any]:
        return {**self.scope.describe(), "verdict": self.verdict, "rule": self.rule}


def explain(repo: Any, scopes: Iterable[IntegrationScope]) -> tuple[IntegrationScope | None, list[Considered], int]:
    """Which of ``scopes`` covers ``repo`` and why: ``(chosen or None, every scope on the repo's host with its
    verdict and rule, how many scopes are on other hosts)``."""
    host, owner, name = split_repo(repo)
    text = f"{host.lower()}/{owner}/{name}"
    index = IntegrationIndex()
    same_host: list[IntegrationScope] = []
    other_hosts = 0
    for scope in scopes:
        if scope.host.lower() != host.lower():
            other_hosts += 1
            continue
        same_host.append(scope)
        index.add(scope)
    covering = index.candidates(repo)
    winners = most_specific(covering)
    chosen = winners[0] if len(winners) == 1 else None
    considered = []
    for scope in sorted(same_host, key=_id_order):
        considered.append(Considered(scope, *_verdict(scope, text, owner, covering, winners)))
    return chosen, considered, other_hosts


def _verdict(scope: IntegrationScope, text: str, owner: str, covering: list[IntegrationScope],
             winners: list[IntegrationScope]) -> tuple[str, str]:
    if scope not in covering:
        mine = (scope.owner or "").strip("/")
        if mine and owner.lower() != mine.lower() and not owner.lower().startswith(mine.lower() + "/"):
            return "set-aside", f"owner {scope.owner} does not contain {owner}"
        count = len(scope.repos or ())
        return "set-aside", f"{text} is not among its {count} selected repo" + ("" if count == 1 else "s")
    if scope in winners and len(winners) == 1:
        others = len(covering) - 1
        return "chosen", f"covers it, most specifically ({why_specific(scope)})" + (
            f", over {others} other covering integration" + ("" if others == 1 else "s") if others else "")
    if scope in winners:
        rivals = ", ".join(f"#{s.id}" for s in winners if s is not scope)
        return "tied", f"as specific as {rivals} ({why_specific(scope)}): ambiguous; narrow one or choose with its id"
    best = winners[0]
    return "set-aside", f"covers it, but #{best.id} is more specific ({why_specific(best)} over {why_specific(scope)})"
