"""Bitbucket Data Center / Server REST API 1.0 client: compare two commits, head of a branch.

Paths use the project key for the coordinate's owner (``_gopher`` -> ``~gopher``, see
``providers/webhooks/bitbucket_datacenter.py``). Bitbucket Data Center has no ahead/behind endpoint:

- ``ahead_by`` = commits of ``GET .../commits?since=base&until=head``; ``behind_by`` = the same swapped;
  both paged (``isLastPage``/``nextPageStart``) up to :data:`MAX_PAGES` pages of :data:`LIMIT`;
- ``files`` = ``GET .../compare/changes?from=head&to=base`` (changes on ``from`` not on ``to``), every
  page: ``path.toString`` and, for moves and copies, ``srcPath.toString``.

``GET .../branches?filterText=<name>`` (a substring filter, paged) gives the exact match's
``latestCommit``. Auth: ``Authorization: Bearer`` (HTTP access token or personal access token).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from jolli.coordinates import RepoCoordinate
from jolli.http import ProviderError
from jolli.provider import CompareResult

from ..webhooks.bitbucket_datacenter import project_key_for_owner
from ._client import MAX_PAGES, HttpClient, status_for, unique_paths

LIMIT = 100


class Client(HttpClient):
    """Bitbucket Data Center API for one integration."""

    provider = "bitbucket-datacenter"
    label = "Bitbucket Data Center"

    def _repo(self, repo: RepoCoordinate) -> str:
        key = project_key_for_owner(repo.owner)
        return f"/projects/{quote(key, safe='~')}/repos/{quote(repo.name, safe='')}"

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        """The ``values`` of each page of a paged resource."""
        start = 0
        for _ in range(MAX_PAGES):
            data = self.get(path, {**params, "start": start, "limit": LIMIT})
            yield self.expect(data, "values", "a page") or []
            if data.get("isLastPage", True) or data.get("nextPageStart") is None:
                return
            start = data["nextPageStart"]

    def _count(self, repo: RepoCoordinate, since: str, until: str) -> int:
        pages = self._pages(f"{self._repo(repo)}/commits", {"since": since, "until": until})
        return sum(len(values) for values in pages)

    def compare(self, repo: RepoCoordinate, base: str, head: str) -> CompareResult:
        """Where ``head`` stands relative to ``base``, with the files changed on ``head``."""
        ahead = self._count(repo, base, head)
        behind = self._count(repo, head, base)
        paths: list[str | None] = []
        if ahead:
            for values in self._pages(f"{self._repo(repo)}/compare/changes", {"from": head, "to": base}):
                for change in values:
                    if not isinstance(change, dict):
                        continue
                    for key in ("srcPath", "path"):
                        value = change.get(key)
                        if isinstance(value, dict):
                            paths.append(value.get("toString"))
        return CompareResult(
            status=status_for(ahead, behind), ahead_by=ahead, behind_by=behind, files=unique_paths(paths)
        )

    def branch_head(self, repo: RepoCoordinate, branch: str) -> str:
        """The SHA ``branch`` points at (every page of the filtered branch list, if need be)."""
        for values in self._pages(*self.branch_request(repo, branch)):
            found = _branch_in(values, branch)
            if found:
                return found
        raise ProviderError(f"{self.label} API: no branch '{branch}' in {repo}", status_code=404)

    def branch_request(self, repo: RepoCoordinate, branch: str) -> tuple[str, dict[str, Any]]:
        return f"{self._repo(repo)}/branches", {"filterText": branch, "start": 0, "limit": LIMIT}

    def branch_sha(self, data: Any, repo: RepoCoordinate, branch: str) -> str:
        """The head from the first page of the filtered list (the other pages only when it is not there)."""
        found = _branch_in(self.expect(data, "values", "a page") or [], branch)
        if found:
            return found
        if data.get("isLastPage", True):
            raise ProviderError(f"{self.label} API: no branch '{branch}' in {repo}", status_code=404)
        return self.branch_head(repo, branch)


def _branch_in(values: list[Any], branch: str) -> str | None:
    """The head of ``branch`` in one page of Bitbucket Data Center's branch list, if listed there."""
    wanted = branch if branch.startswith("refs/") else f"refs/heads/{branch}"
    for item in values:
        if isinstance(item, dict) and (item.get("id") == wanted or item.get("displayId") == branch):
            head = item.get("latestCommit") or item.get("latestChangeset")
            if not head:
                raise ProviderError("Bitbucket Data Center API answered a branch without 'latestCommit'")
            return str(head)
    return None
