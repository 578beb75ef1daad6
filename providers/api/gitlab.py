"""GitLab REST API v4 client (gitlab.com and self-managed): compare two commits, head of a branch.

``GET /projects/:id/repository/compare?from=&to=`` (``:id`` = the URL-encoded ``group/sub/repo`` path,
``straight=false``: compared from the merge base) lists the ``commits`` reachable from ``to`` but not
from ``from`` and the ``diffs`` since the merge base. GitLab has no ahead/behind counts, so:

- ``ahead_by`` = commits of ``compare(from=base, to=head)``;
- ``behind_by`` = commits of ``compare(from=head, to=base)`` (a second call);
- ``files`` = ``new_path`` (and ``old_path`` of renames and deletions) of the first call's ``diffs``.
  GitLab caps diffs by its diff limits; a capped list is incomplete.

``GET /projects/:id/repository/branches/:branch`` gives ``commit.id``. Auth: ``Authorization: Bearer``,
which GitLab accepts for OAuth, personal, group and project access tokens.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from jolli.coordinates import RepoCoordinate
from jolli.provider import CompareResult

from ._client import HttpClient, status_for, unique_paths


class Client(HttpClient):
    """GitLab API for one integration."""

    provider = "gitlab"
    label = "GitLab"

    def _project(self, repo: RepoCoordinate) -> str:
        return f"/projects/{quote(repo.path, safe='')}"

    def _compare(self, repo: RepoCoordinate, from_: str, to: str) -> dict:
        data = self.get(
            f"{self._project(repo)}/repository/compare", {"from": from_, "to": to, "straight": "false"}
        )
        self.expect(data, "commits", "a comparison")
        return data

    def compare(self, repo: RepoCoordinate, base: str, head: str) -> CompareResult:
        """Where ``head`` stands relative to ``base``, with the files changed since their merge base."""
        forward = self._compare(repo, base, head)
        ahead = len(forward["commits"] or [])
        behind = len(self._compare(repo, head, base)["commits"] or [])
        paths: list[str | None] = []
        for diff in forward.get("diffs") or []:
            if isinstance(diff, dict):
                if diff.get("renamed_file") or diff.get("deleted_file"):
                    paths.append(diff.get("old_path"))
                paths.append(diff.get("new_path"))
        return CompareResult(
            status=status_for(ahead, behind), ahead_by=ahead, behind_by=behind, files=unique_paths(paths)
        )

    def branch_request(self, repo: RepoCoordinate, branch: str) -> tuple[str, dict[str, Any] | None]:
        return f"{self._project(repo)}/repository/branches/{quote(branch, safe='')}", None

    def branch_sha(self, data: Any, repo: RepoCoordinate, branch: str) -> str:
        commit = self.expect(data, "commit", "a branch")
        return str(self.expect(commit, "id", "a branch commit"))
