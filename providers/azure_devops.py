"""Azure DevOps Services (dev.azure.com) and Azure DevOps Server (any host registered to ``azure-devops``).

Coordinate: ``dev.azure.com/{org}/{project}/{repo}``; the owner is ``org/project`` (two segments, as
GitLab's nested groups are), ``{collection}/{project}`` on a Server (with any virtual directory before the
collection: ``tfs/DefaultCollection/project``). Forms folded into it:

- ``https://dev.azure.com/org/project/_git/repo`` (also with ``org@`` userinfo, browser suffixes after
  the repository such as ``/commit/S``, and queries such as ``?path=/x&version=GBmain``);
- ``https://dev.azure.com/org/_git/repo``: a repository named like its project;
- ``https://org.visualstudio.com/project/_git/repo``, with or without ``DefaultCollection/``;
- ``git@ssh.dev.azure.com:v3/org/project/repo`` and ``org@vs-ssh.visualstudio.com:v3/org/project/repo``;
- Server: ``https://host/{collection}/{project}/_git/{repo}`` and ``ssh://host:22/{collection}/...``.

Webhooks (service hooks) and the HTTP API live in ``jolli.providers.webhooks.azure_devops`` and
``jolli.providers.api.azure_devops``, imported only when used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from jolli import hookimpl
from jolli.credential import CredentialKind

from ._modules import ModuleBackedProvider
from ._paths import is_full_sha, ref_part

if TYPE_CHECKING:  # pragma: no cover
    from jolli.coordinates import RepoCoordinate
    from jolli.registry import ProviderRegistry

CLOUD_HOST = "dev.azure.com"
#: SSH hosts of Azure DevOps Services, whose paths start with ``v3/``.
SSH_HOSTS = frozenset({"ssh.dev.azure.com", "vs-ssh.visualstudio.com"})
LEGACY_SUFFIX = ".visualstudio.com"
DEFAULT_COLLECTION = "defaultcollection"
SHAPES = (
    "Azure DevOps repositories look like https://dev.azure.com/ORG/PROJECT/_git/REPO, "
    "git@ssh.dev.azure.com:v3/ORG/PROJECT/REPO or dev.azure.com/ORG/PROJECT/REPO"
)


def split_azure_path(host: str, segments: Sequence[str]) -> tuple[str, str]:
    """``(owner, repo)`` of a path on an Azure DevOps host (``dev.azure.com`` or a Server), else ValueError.

    On dev.azure.com the owner is ``org/project`` (``DefaultCollection`` after the org is dropped); on a
    Server it is everything before ``_git`` but the repository (``collection/project``). A path with
    ``_git`` and only one segment before it names a repository in the project of the same name.
    """
    cloud = host == CLOUD_HOST
    if "_git" in segments:
        at = segments.index("_git")
        if at + 1 >= len(segments):
            raise ValueError("the repository name is missing after _git; " + SHAPES)
        repo = segments[at + 1]
        before = list(segments[:at])
        if cloud and len(before) > 1 and before[1].lower() == DEFAULT_COLLECTION:
            del before[1]
        if len(before) == 1:  # org/_git/repo: the project is named like the repository
            before.append(repo)
    else:  # the coordinate's own org/project/repo, or an SSH path v3/org/project/repo
        before = list(segments)
        if cloud and len(before) == 4 and before[0] == "v3":
            del before[0]
        if len(before) < 3:
            raise ValueError(SHAPES)
        repo = before.pop()
    if len(before) < 2 or (cloud and len(before) != 2):
        raise ValueError(SHAPES)
    if any(part.startswith("_") for part in (*before, repo)):  # _workitems, _build ...: pages, not names
        raise ValueError(f"'{'/'.join((*before, repo))}' is not a repository path (Azure DevOps names do "
                         f"not start with '_'); " + SHAPES)
    return "/".join(before), repo


def fold_azure_host(host: str, segments: Sequence[str]) -> tuple[str, Sequence[str]] | None:
    """The SSH and legacy hosts of Azure DevOps Services as ``dev.azure.com`` and its path, else ``None``.

    ``org.visualstudio.com/...`` carries the organization in the host name: it becomes the first segment.
    """
    if host in SSH_HOSTS:
        return CLOUD_HOST, segments
    if host.endswith(LEGACY_SUFFIX) and host.count(".") == 2:
        return CLOUD_HOST, [host[: -len(LEGACY_SUFFIX)], *segments]
    return None


class AzureDevOpsProvider(ModuleBackedProvider):
    """Azure DevOps Services on dev.azure.com, and Azure DevOps Server on hosts registered by integrations."""

    module = "azure_devops"
    name = "azure-devops"
    credential_kinds = (
        CredentialKind("personal-token", "personal access token", scopes="Code (Read)"),
    )
    title = "Azure DevOps"
    hosts = (CLOUD_HOST,)
    self_hosted = True
    nested_namespaces = True

    def split_path(self, segments: Sequence[str]) -> tuple[str, str] | None:
        """Server shapes (the host is not known here); :meth:`split_host_path` knows dev.azure.com's."""
        return split_azure_path("", segments)

    def split_host_path(self, host: str, segments: Sequence[str]) -> tuple[str, str] | None:
        return split_azure_path(host, segments)

    def fold_host(self, host: str, segments: Sequence[str]) -> tuple[str, Sequence[str]] | None:
        return fold_azure_host(host, segments)

    def has_own_shape(self, segments: Sequence[str]) -> bool:
        """Only Azure DevOps writes ``_git`` before the repository name."""
        return "_git" in segments

    # --- derivations ------------------------------------------------------------------------------
    def https_clone_url(self, repo: RepoCoordinate) -> str:
        return f"https://{repo.host}/{_path(repo.owner)}/_git/{quote(repo.name)}"

    def ssh_clone_url(self, repo: RepoCoordinate) -> str:
        if repo.host == CLOUD_HOST:
            return f"git@ssh.{CLOUD_HOST}:v3/{_path(repo.owner)}/{quote(repo.name)}"
        return f"ssh://{repo.host}:22/{_path(repo.owner)}/_git/{quote(repo.name)}"

    def web_url(self, repo: RepoCoordinate) -> str:
        return self.https_clone_url(repo)

    def branch_url(self, repo: RepoCoordinate, branch: str) -> str:
        return f"{self.web_url(repo)}?version=GB{ref_part(branch)}"

    def commit_url(self, repo: RepoCoordinate, sha: str) -> str:
        return f"{self.web_url(repo)}/commit/{ref_part(sha)}"

    def file_url(self, repo: RepoCoordinate, ref: str, path: str) -> str:
        version = ("GC" if is_full_sha(ref) else "GB") + ref_part(ref)
        return f"{self.web_url(repo)}?path={quote('/' + path.strip('/'), safe='/')}&version={version}"


def _path(owner: str) -> str:
    return quote(owner, safe="/")


@hookimpl
def jolli_register_providers(registry: ProviderRegistry) -> None:
    registry.add(AzureDevOpsProvider())
