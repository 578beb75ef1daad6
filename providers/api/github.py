"""GitHub REST API client (github.com and Enterprise Server): compare two commits, head of a branch.

- ``GET /repos/{owner}/{repo}/compare/{base}...{head}`` gives ``status``, ``ahead_by``, ``behind_by`` and
  ``files`` directly. GitHub lists at most 300 changed files for a comparison and does not page them
  (paging that endpoint pages commits); beyond that the file list is incomplete.
- ``GET /repos/{owner}/{repo}/branches/{branch}`` gives ``commit.sha``.
- Auth: ``Authorization: Bearer <token>`` (personal, fine-grained or GitHub App installation token).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from jolli.coordinates import RepoCoordinate
from jolli.provider import CompareResult

from ._client import HttpClient, status_for, unique_paths

API_VERSION = "2022-11-28"


class Client(HttpClient):
    """GitHub API for one integration."""

    provider = "github"
    label = "GitHub"

    def default_headers(self) -> dict[str, str]:
        return {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}

    def _repo(self, repo: RepoCoordinate) -> str:
        return f"/repos/{quote(repo.owner, safe='')}/{quote(repo.name, safe='')}"

    def compare(self, repo: RepoCoordinate, base: str, head: str) -> CompareResult:
        """Where ``head`` stands relative to ``base``, with the files changed since their merge base."""
        data = self.get(f"{self._repo(repo)}/compare/{quote(base, safe='/')}...{quote(head, safe='/')}")
        ahead = int(self.expect(data, "ahead_by", "a comparison"))
        behind = int(self.expect(data, "behind_by", "a comparison"))
        files = data.get("files") or []
        paths = []
        for entry in files:
            if isinstance(entry, dict):
                paths.append(entry.get("previous_filename"))
                paths.append(entry.get("filename"))
        status = data.get("status")
        if status not in ("ahead", "behind", "identical", "diverged"):
            status = status_for(ahead, behind)
        return CompareResult(status=status, ahead_by=ahead, behind_by=behind, files=unique_paths(paths))

    def branch_request(self, repo: RepoCoordinate, branch: str) -> tuple[str, dict[str, Any] | None]:
        return f"{self._repo(repo)}/branches/{quote(branch, safe='/')}", None

    def branch_sha(self, data: Any, repo: RepoCoordinate, branch: str) -> str:
        commit = self.expect(data, "commit", "a branch")
        return str(self.expect(commit, "sha", "a branch commit"))
