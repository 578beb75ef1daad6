"""Bitbucket Cloud (bitbucket.org).

URL shapes: ``workspace/repo``, optionally followed by a repository page (``/src/REF/path``, ``/branch/B``,
``/commits/S`` ...).
Webhooks and the HTTP API live in ``jolli.providers.webhooks.bitbucket`` and
``jolli.providers.api.bitbucket``, imported only when used. Bitbucket Data Center is a separate provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from jolli import hookimpl
from jolli.credential import CredentialKind

from ._modules import ModuleBackedProvider
from ._paths import flat_owner_repo, path_part, ref_part

if TYPE_CHECKING:  # pragma: no cover
    from jolli.coordinates import RepoCoordinate
    from jolli.registry import ProviderRegistry


#: The pages below a repository on Bitbucket Cloud (``/src/REF/path``, ``/commits/S`` ...).
BITBUCKET_PAGES = frozenset(
    {
        "src", "branch", "branches", "commits", "commit", "pull-requests", "issues", "downloads", "get",
        "wiki", "pipelines", "deployments", "admin", "raw", "annotate", "history-node", "diff", "compare",
        "addon", "jira", "security", "tags", "refs",
    }
)  # fmt: skip


class BitbucketProvider(ModuleBackedProvider):
    """Bitbucket Cloud: workspaces own repositories on bitbucket.org; not self-hosted."""

    module = "bitbucket"
    name = "bitbucket"
    credential_kinds = (
        CredentialKind("access-token", "access token (workspace, project or repository; OAuth)",
                       scopes="repository (Repositories: Read)"),
        CredentialKind("workspace-token", "workspace access token", needs_owner=True,
                       scopes="repository (Repositories: Read); covers every repository of the workspace"),
        CredentialKind("project-token", "project access token", needs_owner=True,
                       scopes="repository (Repositories: Read); covers the project's repositories"),
        CredentialKind("repository-token", "repository access token", needs_owner=True, single_repo=True,
                       scopes="repository (Repositories: Read); covers its one repository"),
        CredentialKind("app-password", "app password (user name and password, HTTP Basic)",
                       needs=("username", "app_password"),
                       scopes="Repositories: Read; username is the Bitbucket user name (an Atlassian API token "
                              "takes the same shape, with the account's email as username)"),
    )
    title = "Bitbucket Cloud"
    hosts = ("bitbucket.org",)
    self_hosted = False
    #: Bitbucket Cloud's SSH over port 443 (``ssh://git@altssh.bitbucket.org:443/workspace/repo.git``).
    host_aliases = {"altssh.bitbucket.org": "bitbucket.org"}

    def split_path(self, segments: Sequence[str]) -> tuple[str, str] | None:
        return flat_owner_repo(segments, BITBUCKET_PAGES)

    def branch_url(self, repo: RepoCoordinate, branch: str) -> str:
        return f"{self.web_url(repo)}/branch/{ref_part(branch)}"

    def commit_url(self, repo: RepoCoordinate, sha: str) -> str:
        return f"{self.web_url(repo)}/commits/{ref_part(sha)}"

    def file_url(self, repo: RepoCoordinate, ref: str, path: str) -> str:
        return f"{self.web_url(repo)}/src/{ref_part(ref)}/{path_part(path)}"



@hookimpl
def jolli_register_providers(registry: ProviderRegistry) -> None:
    registry.add(BitbucketProvider())
