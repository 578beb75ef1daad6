"""GitLab (gitlab.com) and GitLab self-managed (any host registered to ``gitlab``).

URL shapes: projects sit in nested groups (``group/sub/project``); browser pages follow a ``-`` segment
(``/-/tree/B``, ``/-/blob/REF/path``, ``/-/commit/S``), so everything before it is the project path; old
links without the ``-`` (``group/project/tree/B``) are understood too.
Webhooks and the HTTP API live in ``jolli.providers.webhooks.gitlab`` and ``jolli.providers.api.gitlab``,
imported only when used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from jolli import hookimpl
from jolli.credential import CredentialKind

from ._modules import ModuleBackedProvider
from ._paths import path_part, ref_part

if TYPE_CHECKING:  # pragma: no cover
    from jolli.coordinates import RepoCoordinate
    from jolli.registry import ProviderRegistry

#: Pages GitLab linked without the ``-`` separator before 16.0 (``group/project/tree/main``), still found
#: in old links. Followed by a ref they end the project path; GitLab does not allow them as project names.
LEGACY_PAGES = frozenset({"tree", "blob", "blame", "commits", "commit"})


class GitLabProvider(ModuleBackedProvider):
    """gitlab.com, and self-managed GitLab on hosts registered by integrations; groups may nest."""

    module = "gitlab"
    name = "gitlab"
    credential_kinds = (
        CredentialKind("personal-token", "personal access token", scopes="read_api (read_repository is not enough "
                       "for the compare and branch calls)"),
        CredentialKind("group-token", "group access token", needs_owner=True,
                       scopes="read_api, role Reporter; covers the group and its subgroups"),
        CredentialKind("project-token", "project access token", needs_owner=True, single_repo=True,
                       scopes="read_api, role Reporter; covers its one project"),
    )
    title = "GitLab"
    hosts = ("gitlab.com",)
    self_hosted = True
    nested_namespaces = True
    #: gitlab.com's SSH over port 443 (``ssh://git@altssh.gitlab.com:443/group/repo.git``).
    host_aliases = {"altssh.gitlab.com": "gitlab.com"}
    host_hints = ("gitlab",)

    def has_own_shape(self, segments: Sequence[str]) -> bool:
        """Only GitLab writes ``-`` as a path segment (``/-/tree/main``)."""
        return "-" in segments

    def split_path(self, segments: Sequence[str]) -> tuple[str, str] | None:
        # GitLab reserves "-" as a group and project name: it always starts the page part of a URL.
        end = segments.index("-") if "-" in segments else len(segments)
        for i in range(2, end - 1):  # an old link: group/project/tree/REF...
            if segments[i] in LEGACY_PAGES:
                end = i
                break
        if end < 2:
            return None
        return "/".join(segments[: end - 1]), segments[end - 1]

    def branch_url(self, repo: RepoCoordinate, branch: str) -> str:
        return f"{self.web_url(repo)}/-/tree/{ref_part(branch)}"

    def commit_url(self, repo: RepoCoordinate, sha: str) -> str:
        return f"{self.web_url(repo)}/-/commit/{ref_part(sha)}"

    def file_url(self, repo: RepoCoordinate, ref: str, path: str) -> str:
        return f"{self.web_url(repo)}/-/blob/{ref_part(ref)}/{path_part(path)}"



@hookimpl
def jolli_register_providers(registry: ProviderRegistry) -> None:
    registry.add(GitLabProvider())
