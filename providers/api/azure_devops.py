"""Azure DevOps Git REST API client (Services and Server): head of a branch, compare two commits.

Paths start with the coordinate's owner (``org/project``, or ``collection/project`` on a Server) below
the API root (``https://dev.azure.com``, or the Server's base URL), then
``/_apis/git/repositories/{repo}/...``, with ``api-version`` on every call:

- branch head: ``GET .../refs?filter=heads/{branch}`` lists the refs starting with that name (``value``
  of ``{name, objectId}``); the exact ``refs/heads/{branch}`` gives the SHA. The Refs API documents no
  ``ETag``: a check asks plainly, and conditionally only if an answer ever carries one (as the other
  providers' branch APIs do);
- compare: ``GET .../diffs/commits?baseVersion=&baseVersionType=&targetVersion=&targetVersionType=``
  gives ``aheadCount`` and ``behindCount`` of the target against the base, and the ``changes`` since
  their merge base (``item.path``; ``originalPath`` of renames), paged with ``$top``/``$skip`` up to
  :data:`MAX_PAGES` pages. A full SHA is a ``commit`` version, anything else a ``branch``.

Auth: a personal access token as HTTP Basic with an empty user name (``Authorization: Basic
base64(":" + token)``), as Azure DevOps documents for PATs.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from jolli.coordinates import RepoCoordinate
from jolli.http import ProviderError
from jolli.provider import CompareResult

from .._paths import is_full_sha
from ._client import MAX_PAGES, HttpClient, status_for, unique_paths

API_VERSION = "7.1"
PAGE = 100


def _short(branch: str) -> str:
    return branch[len("refs/heads/"):] if branch.startswith("refs/heads/") else branch


class Client(HttpClient):
    """Azure DevOps API for one integration."""

    provider = "azure-devops"
    label = "Azure DevOps"

    def auth_headers(self, token: str) -> dict[str, str]:
        encoded = base64.b64encode(f":{token}".encode()).decode("ascii")
        return {"Authorization": f"Basic {encoded}"}

    def _repo(self, repo: RepoCoordinate) -> str:
        return f"/{quote(repo.owner, safe='/')}/_apis/git/repositories/{quote(repo.name, safe='')}"

    def branch_request(self, repo: RepoCoordinate, branch: str) -> tuple[str, dict[str, Any] | None]:
        return f"{self._repo(repo)}/refs", {"filter": f"heads/{_short(branch)}", "api-version": API_VERSION}

    def branch_sha(self, data: Any, repo: RepoCoordinate, branch: str) -> str:
        name = _short(branch)
        for item in self.expect(data, "value", "a ref list") or []:
            if isinstance(item, dict) and item.get("name") == f"refs/heads/{name}":
                return str(self.expect(item, "objectId", "a ref"))
        raise ProviderError(f"{self.label} API: no branch '{name}' in {repo}", status_code=404)

    def _diff_pages(self, repo: RepoCoordinate, base: str, head: str) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {
            "baseVersion": base, "baseVersionType": "commit" if is_full_sha(base) else "branch",
            "targetVersion": head, "targetVersionType": "commit" if is_full_sha(head) else "branch",
            "$top": PAGE, "api-version": API_VERSION,
        }  # fmt: skip
        for page in range(MAX_PAGES):
            data = self.get(f"{self._repo(repo)}/diffs/commits", {**params, "$skip": page * PAGE})
            changes = self.expect(data, "changes", "a comparison") or []
            yield data
            if data.get("allChangesIncluded", True) or len(changes) < PAGE:
                return

    def compare(self, repo: RepoCoordinate, base: str, head: str) -> CompareResult:
        """Where ``head`` stands relative to ``base``, with the files changed since their merge base."""
        ahead = behind = 0
        paths: list[str | None] = []
        for index, data in enumerate(self._diff_pages(repo, base, head)):
            if index == 0:
                ahead = int(self.expect(data, "aheadCount", "a comparison"))
                behind = int(self.expect(data, "behindCount", "a comparison"))
            for change in data["changes"] or []:
                item = change.get("item") if isinstance(change, dict) else None
                if not isinstance(item, dict) or item.get("isFolder"):
                    continue
                paths.append(change.get("originalPath"))
                paths.append(item.get("path"))
        files = tuple(path.lstrip("/") for path in unique_paths(paths))
        return CompareResult(status=status_for(ahead, behind), ahead_by=ahead, behind_by=behind, files=files)
