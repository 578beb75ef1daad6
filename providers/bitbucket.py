"""Bitbucket Cloud (bitbucket.org).

URL shapes: ``workspace/repo``, optionally followed by a repository page (``/src/REF/path``, ``/branch/B``,
``/commits/S`` ...).
Webhooks and the HTTP API live in ``jolli.providers.webhooks.bitbucket`` and
``jolli.providers.api.bitbucket``, imported only when used. Bitbucket Data Center is a separate provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from jolli import hookimpl
from jolli.provider import CanonicalPush, GitProvider, IntegrationRef, ProviderClient

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


class BitbucketProvider(GitProvider):
    """Bitbucket Cloud: workspaces own repositories on bitbucket.org; not self-hosted."""

    name = "bitbucket"
    title = "Bitbucket Cloud"
    hosts = ("bitbucket.org",)
    self_hosted = False

    def split_path(self, segments: Sequence[str]) -> tuple[str, str] | None:
        return flat_owner_repo(segments, BITBUCKET_PAGES)

    def branch_url(self, repo: RepoCoordinate, branch: str) -> str:
        return f"{self.web_url(repo)}/branch/{ref_part(branch)}"

    def commit_url(self, repo: RepoCoordinate, sha: str) -> str:
        return f"{self.web_url(repo)}/commits/{ref_part(sha)}"

    def file_url(self, repo: RepoCoordinate, ref: str, path: str) -> str:
        return f"{self.web_url(repo)}/src/{ref_part(ref)}/{path_part(path)}"

    def default_api_base_url(self, host: str) -> str:
        from jolli.providers.api.base_urls import default_api_base_url  # one table for providers and clients

        return default_api_base_url(self.name, host)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        from jolli.providers.webhooks import bitbucket as webhooks

        return webhooks.verify(headers, body, secret)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[CanonicalPush]:
        from jolli.providers.webhooks import bitbucket as webhooks

        return webhooks.parse(headers, body)

    def client(self, integration: IntegrationRef) -> ProviderClient:
        from jolli.providers.api import bitbucket as api

        return api.Client(integration)


@hookimpl
def jolli_register_providers(registry: ProviderRegistry) -> None:
    registry.add(BitbucketProvider())
