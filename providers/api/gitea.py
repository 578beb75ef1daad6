"""Gitea / Forgejo REST API v1 client: compare two commits, head of a branch.

- ``GET /repos/{owner}/{repo}/compare/{base}...{head}`` lists the commits of ``head`` since the merge base
  (``total_commits``) and, depending on the version, the changed ``files`` at the top level (Forgejo)
  or per commit (``commits[].files``). Gitea has no ahead/behind counts, so ``ahead_by`` =
  ``total_commits`` of ``base...head`` and ``behind_by`` = ``total_commits`` of ``head...base``.
- ``GET /repos/{owner}/{repo}/branches/{branch}`` gives ``commit.id`` (also on Gogs; Gogs has no
  compare endpoint, so ``compare`` fails there with a :class:`jolli.http.ProviderError` 404).
- Auth: ``Authorization: token <token>``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from jolli.coordinates import RepoCoordinate
from jolli.provider import CompareResult

from ._client import HttpClient, status_for, unique_paths


class Client(HttpClient):
    """Gitea/Forgejo API for one integration."""

    provider = "gitea"
    label = "Gitea"

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"token {token}"}

    def _repo(self, repo: RepoCoordinate) -> str:
        return f"/repos/{quote(repo.owner, safe='')}/{quote(repo.name, safe='')}"

    def _compare(self, repo: RepoCoordinate, base: str, head: str) -> dict[str, Any]:
        data = self.get(f"{self._repo(repo)}/compare/{quote(base, safe='/')}...{quote(head, safe='/')}")
        self.expect(data, "total_commits", "a comparison")
        return data

    def compare(self, repo: RepoCoordinate, base: str, head: str) -> CompareResult:
        """Where ``head`` stands relative to ``base``, with the files changed on ``head``."""
        forward = self._compare(repo, base, head)
        ahead = int(forward["total_commits"] or 0)
        behind = int(self._compare(repo, head, base)["total_commits"] or 0)
        entries = list(forward.get("files") or [])
        if not entries:
            for commit in forward.get("commits") or []:
                if isinstance(commit, dict):
                    entries.extend(commit.get("files") or [])
        paths = [e.get("filename") for e in entries if isinstance(e, dict)]
        return CompareResult(
            status=status_for(ahead, behind), ahead_by=ahead, behind_by=behind, files=unique_paths(paths)
        )

    def branch_request(self, repo: RepoCoordinate, branch: str) -> tuple[str, dict[str, Any] | None]:
        return f"{self._repo(repo)}/branches/{quote(branch, safe='/')}", None

    def branch_sha(self, data: Any, repo: RepoCoordinate, branch: str) -> str:
        commit = self.expect(data, "commit", "a branch")
        return str(self.expect(commit, "id", "a branch commit"))
