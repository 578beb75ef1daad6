"""Gitea and Forgejo (and Gogs-compatible servers), self-hosted on hosts registered to ``gitea``.

URL shapes: ``owner/repo``, optionally followed by a repository page (``/src/branch/B/path``,
``/src/commit/S``, Gogs' ``/src/B``, ``/commit/S`` ...). Webhooks and the HTTP API live in ``jolli.providers.webhooks.gitea`` and
``jolli.providers.api.gitea``, imported only when used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from jolli import hookimpl
from jolli.credential import CredentialKind

from ._modules import ModuleBackedProvider
from ._paths import flat_owner_repo, is_full_sha, path_part, ref_part

if TYPE_CHECKING:  # pragma: no cover
    from jolli.coordinates import RepoCoordinate
    from jolli.registry import ProviderRegistry


#: The pages below a repository on Gitea, Forgejo and Gogs (``/src/branch/B``, ``/commit/S`` ...).
GITEA_PAGES = frozenset(
    {
        "src", "commit", "commits", "branches", "tags", "releases", "issues", "pulls", "pull", "compare",
        "wiki", "raw", "blame", "archive", "activity", "settings", "milestones", "labels", "projects",
        "packages", "actions", "media", "graph", "forks", "stars", "watchers", "find", "search", "rss",
        "atom", "tree", "blob",
    }
)  # fmt: skip


class GiteaProvider(ModuleBackedProvider):
    """Gitea / Forgejo / Gogs: no public host of its own, every host comes from an integration."""

    module = "gitea"
    name = "gitea"
    credential_kinds = (
        CredentialKind("token", "access token (Gitea, Forgejo)", scopes="read:repository"),
    )
    title = "Gitea / Forgejo"
    hosts = ()
    self_hosted = True
    host_hints = ("gitea", "forgejo")

    def split_path(self, segments: Sequence[str]) -> tuple[str, str] | None:
        return flat_owner_repo(segments, GITEA_PAGES)

    def branch_url(self, repo: RepoCoordinate, branch: str) -> str:
        return f"{self.web_url(repo)}/src/branch/{ref_part(branch)}"

    def commit_url(self, repo: RepoCoordinate, sha: str) -> str:
        return f"{self.web_url(repo)}/commit/{ref_part(sha)}"

    def file_url(self, repo: RepoCoordinate, ref: str, path: str) -> str:
        kind = "commit" if is_full_sha(ref) else "branch"
        return f"{self.web_url(repo)}/src/{kind}/{ref_part(ref)}/{path_part(path)}"



@hookimpl
def jolli_register_providers(registry: ProviderRegistry) -> None:
    registry.add(GiteaProvider())
