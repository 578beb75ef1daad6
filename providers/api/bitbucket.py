"""Bitbucket Cloud REST API 2.0 client: compare two commits, head of a branch.

Bitbucket Cloud has no ahead/behind endpoint, so:

- ``ahead_by`` = commits listed by ``GET /repositories/{ws}/{slug}/commits?include=head&exclude=base``;
- ``behind_by`` = the same with ``include`` and ``exclude`` swapped;
  both follow the ``next`` links (``pagelen=100``) up to :data:`MAX_PAGES` pages, so counts above
  10,000 are reported as 10,000 (the status is still right);
- ``files`` = ``GET /repositories/{ws}/{slug}/diffstat/{head}..{base}?topic=true`` (Bitbucket's order:
  the commit with the changes first; ``topic``: compared from the merge base), every page, the ``new``
  path and the ``old`` path of renames and removals.

``GET /repositories/{ws}/{slug}/refs/branches/{name}`` gives ``target.hash`` (for a name with ``/``,
which Bitbucket does not accept in that path, ``GET .../refs/branches?q=name="..."``).
Auth: ``Authorization: Bearer`` (repository, project or workspace access token, OAuth token).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from jolli.coordinates import RepoCoordinate
from jolli.http import ProviderError
from jolli.provider import CompareResult

from ._client import MAX_PAGES, HttpClient, status_for, unique_paths

PAGELEN = 100


class Client(HttpClient):
    """Bitbucket Cloud API for one integration."""

    provider = "bitbucket"
    label = "Bitbucket"

    def _repo(self, repo: RepoCoordinate) -> str:
        return f"/repositories/{quote(repo.owner, safe='')}/{quote(repo.name, safe='')}"

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        """The ``values`` of each page, following ``next`` (which already carries the query)."""
        url: str | None = path
        query: dict[str, Any] | None = params
        for _ in range(MAX_PAGES):
            if not url:
                return
            data = self.get(url, query)
            yield self.expect(data, "values", "a page") or []
            url, query = data.get("next"), None

    def _count(self, repo: RepoCoordinate, include: str, exclude: str) -> int:
        params = {"include": include, "exclude": exclude, "pagelen": PAGELEN}
        return sum(len(values) for values in self._pages(f"{self._repo(repo)}/commits", params))

    def compare(self, repo: RepoCoordinate, base: str, head: str) -> CompareResult:
        """Where ``head`` stands relative to ``base``, with the files changed since their merge base."""
        ahead = self._count(repo, head, base)
        behind = self._count(repo, base, head)
        paths: list[str | None] = []
        if ahead:
            spec = f"{quote(head, safe='')}..{quote(base, safe='')}"
            for values in self._pages(f"{self._repo(repo)}/diffstat/{spec}", {"topic": "true"}):
                for entry in values:
                    if not isinstance(entry, dict):
                        continue
                    old, new = entry.get("old") or {}, entry.get("new") or {}
                    if entry.get("status") in ("renamed", "removed") or not new:
                        paths.append(old.get("path"))
                    paths.append(new.get("path"))
        return CompareResult(
            status=status_for(ahead, behind), ahead_by=ahead, behind_by=behind, files=unique_paths(paths)
        )

    def branch_request(self, repo: RepoCoordinate, branch: str) -> tuple[str, dict[str, Any] | None]:
        if "/" not in branch:
            return f"{self._repo(repo)}/refs/branches/{quote(branch, safe='')}", None
        # a "/" in the path is not read as part of the name: filter the list instead
        query = 'name = "{}"'.format(branch.replace("\\", "\\\\").replace('"', '\\"'))
        return f"{self._repo(repo)}/refs/branches", {"q": query}

    def branch_sha(self, data: Any, repo: RepoCoordinate, branch: str) -> str:
        if "/" in branch:
            values = self.expect(data, "values", "a page")
            data = next((v for v in values if isinstance(v, dict) and v.get("name") == branch), None)
            if data is None:
                raise ProviderError(f"{self.label} API: no branch '{branch}' in {repo}", status_code=404)
        target = self.expect(data, "target", "a branch")
        return str(self.expect(target, "hash", "a branch target"))
