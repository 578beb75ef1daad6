"""GitHub (github.com) and GitHub Enterprise Server (any host registered to ``github``).

URL shapes: ``owner/repo``, optionally followed by a repository page (``/tree/B``, ``/blob/REF/path``,
``/commit/S`` ...); anything else after ``owner/repo`` is refused (GitHub has no nested groups).
Webhooks and the HTTP API live in ``jolli.providers.webhooks.github`` and ``jolli.providers.api.github``,
imported only when used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from jolli import hookimpl
from jolli.credential import Credential, CredentialKind
from jolli.provider import IntegrationRef

from ._modules import ModuleBackedProvider
from ._paths import flat_owner_repo, path_part, ref_part

if TYPE_CHECKING:  # pragma: no cover
    from jolli.coordinates import RepoCoordinate
    from jolli.registry import ProviderRegistry


#: The pages below a repository on GitHub (``/tree/B``, ``/blob/REF/path``, ``/pull/1`` ...).
GITHUB_PAGES = frozenset(
    {
        "tree", "blob", "blame", "raw", "commit", "commits", "compare", "branches", "tags", "releases",
        "issues", "pull", "pulls", "actions", "wiki", "settings", "security", "pulse", "graphs", "network",
        "projects", "discussions", "archive", "edit", "new", "find", "activity", "deployments", "packages",
        "milestones", "labels", "forks", "stargazers", "watchers", "contributors", "community", "search",
        "codespaces", "environments", "rules", "attestations", "tarball", "zipball", "invitations",
        "subscription", "custom-properties", "models", "agents", "upload", "delete", "tree-commit-info",
    }
)  # fmt: skip


class GitHubProvider(ModuleBackedProvider):
    """github.com, and GitHub Enterprise Server on hosts registered by integrations."""

    module = "github"
    name = "github"
    title = "GitHub"
    hosts = ("github.com",)
    self_hosted = True
    #: GitHub's SSH over the HTTPS port (``ssh://git@ssh.github.com:443/owner/repo.git``), and ``www.``.
    host_aliases = {"ssh.github.com": "github.com", "www.github.com": "github.com"}
    host_hints = ("github",)

    credential_kinds = (
        CredentialKind("token", "personal or fine-grained access token",
                       scopes="fine-grained: Contents read-only (and Metadata); classic: repo (private) or none "
                              "(public)"),
        CredentialKind("app", "GitHub App installation", needs=("app_id", "private_key"), needs_owner=True,
                       by_installation=True,
                       scopes="App permissions: Contents read-only, Metadata read-only; subscribe to Push events"),
    )

    def split_path(self, segments: Sequence[str]) -> tuple[str, str] | None:
        return flat_owner_repo(segments, GITHUB_PAGES)

    def credential(self, integration: IntegrationRef) -> Credential:
        """An App's installation tokens for ``credentialKind`` ``app``; else the token."""
        if self.credential_kind(integration.credential_kind).name != "app":
            return super().credential(integration)
        from jolli.providers.api.github_app import AppCredential, base_url_for

        return AppCredential(base_url_for(integration.host, integration.api_base_url), str(integration.app_id),
                             str(integration.private_key), integration.installation_id, integration.owner)

    def check_credential(self, integration: IntegrationRef) -> dict[str, Any]:
        """An App: verified against GitHub's API (key, installation for the owner, not suspended)."""
        if self.credential_kind(integration.credential_kind).name != "app":
            return {}
        from jolli.providers.api.github_app import check_app

        return check_app(integration.host, integration.api_base_url, integration.app_id, integration.private_key,
                         integration.owner, integration.installation_id)

    def branch_url(self, repo: RepoCoordinate, branch: str) -> str:
        return f"{self.web_url(repo)}/tree/{ref_part(branch)}"

    def commit_url(self, repo: RepoCoordinate, sha: str) -> str:
        return f"{self.web_url(repo)}/commit/{ref_part(sha)}"

    def file_url(self, repo: RepoCoordinate, ref: str, path: str) -> str:
        return f"{self.web_url(repo)}/blob/{ref_part(ref)}/{path_part(path)}"



@hookimpl
def jolli_register_providers(registry: ProviderRegistry) -> None:
    registry.add(GitHubProvider())
