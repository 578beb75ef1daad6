"""Bitbucket Data Center / Server, self-hosted on hosts registered to ``bitbucket-datacenter``.

URL shapes: clone URLs ``/scm/proj/repo.git`` (https) and ``ssh://git@host:7999/proj/repo.git``, browser
URLs ``/projects/PROJ/repos/repo/browse...``; personal repositories ``/scm/~user/repo.git``,
``ssh://git@host/~user/repo.git`` and ``/users/user/repos/repo``; the https and browser shapes also under
a context path (``https://host/bitbucket/scm/proj/repo.git``). The coordinate's owner is the project key upper-cased (Bitbucket treats keys
case-insensitively and shows them upper-case), or ``_user`` for a personal project (``~`` is not allowed
in a coordinate); the same mapping as ``jolli.providers.webhooks.bitbucket_datacenter``.
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

PERSONAL_PREFIX = "_"
SHAPES = (
    "Bitbucket Data Center repositories look like /scm/PROJECT/repo.git, /projects/PROJECT/repos/repo "
    "or PROJECT/repo"
)


def owner_for_key(key: str) -> str:
    """The coordinate owner for a project key: ``PROJ`` for ``proj``, ``_gopher`` for ``~gopher``."""
    if key.startswith("~"):
        return PERSONAL_PREFIX + key[1:].lower()
    if key.startswith(PERSONAL_PREFIX):
        return key.lower()
    return key.upper()


class BitbucketDataCenterProvider(ModuleBackedProvider):
    """Bitbucket Data Center (formerly Bitbucket Server) on hosts registered by integrations."""

    module = "bitbucket_datacenter"
    name = "bitbucket-datacenter"
    credential_kinds = (
        CredentialKind("http-token", "HTTP access token (personal, project or repository)",
                       scopes="Repository read (project or repository tokens), or a personal token of a user "
                              "who can read the repositories"),
    )
    title = "Bitbucket Data Center"
    hosts = ()
    self_hosted = True
    host_hints = ("bitbucket",)
    #: The SSH port of the instance (Bitbucket's default); override in a subclass for another one.
    ssh_port = 7999

    def split_path(self, segments: Sequence[str]) -> tuple[str, str] | None:
        """Project (or personal) repositories in any of the clone or browser shapes; else ValueError."""
        if len(segments) == 2:  # host/PROJ/repo, or the path of ssh://git@host:7999/proj/repo.git
            key, repo = segments
        else:
            found = _key_and_repo(segments)
            if found is None:
                raise ValueError(SHAPES)
            key, repo = found
        if key in ("~", PERSONAL_PREFIX):
            raise ValueError(SHAPES)
        return owner_for_key(key), repo

    def has_own_shape(self, segments: Sequence[str]) -> bool:
        """``/scm/``, ``/projects/K/repos/R``, ``/users/U/repos/R`` and ``~user`` are Bitbucket Data Center's."""
        if not segments:
            return False
        if segments[0].startswith("~"):
            return True
        joined = "/".join(segments).lower()  # most paths hold neither word: no need to look closer
        return ("scm" in joined or "repos" in joined) and _key_and_repo(segments) is not None

    def canonical_owner(self, owner: str) -> str:
        """``~jdoe`` (as URLs write a personal project) is ``_jdoe``; a project key is upper-cased."""
        return owner_for_key(owner) if owner and "/" not in owner else owner

    # --- derivations ------------------------------------------------------------------------------
    def https_clone_url(self, repo: RepoCoordinate) -> str:
        return f"https://{repo.host}/scm/{_clone_key(repo.owner)}/{repo.name}.git"

    def ssh_clone_url(self, repo: RepoCoordinate) -> str:
        return f"ssh://git@{repo.host}:{self.ssh_port}/{_clone_key(repo.owner)}/{repo.name}.git"

    def web_url(self, repo: RepoCoordinate) -> str:
        return f"{self._repo_url(repo)}/browse"

    def branch_url(self, repo: RepoCoordinate, branch: str) -> str:
        return f"{self.web_url(repo)}?at={ref_part(_full_branch_ref(branch))}"

    def commit_url(self, repo: RepoCoordinate, sha: str) -> str:
        return f"{self._repo_url(repo)}/commits/{ref_part(sha)}"

    def file_url(self, repo: RepoCoordinate, ref: str, path: str) -> str:
        return f"{self.web_url(repo)}/{path_part(path)}?at={ref_part(ref)}"

    def _repo_url(self, repo: RepoCoordinate) -> str:
        if repo.owner.startswith(PERSONAL_PREFIX):
            return f"https://{repo.host}/users/{repo.owner[len(PERSONAL_PREFIX):]}/repos/{repo.name}"
        return f"https://{repo.host}/projects/{repo.owner}/repos/{repo.name}"



def _key_and_repo(segments: Sequence[str]) -> tuple[str, str] | None:
    """``(project key, repo)`` of ``scm/KEY/repo``, ``projects/KEY/repos/repo...`` or
    ``users/USER/repos/repo...`` (key ``~USER``), after an optional context path; else ``None``."""
    n = len(segments)
    for i, part in enumerate(segments):
        part = part.lower()
        if part == "scm" and n == i + 3:
            return segments[i + 1], segments[i + 2]
        if part in ("projects", "users") and n >= i + 4 and segments[i + 2].lower() == "repos":
            return ("~" if part == "users" else "") + segments[i + 1], segments[i + 3]
    return None


def _clone_key(owner: str) -> str:
    """The project key as clone URLs show it: lower-case, ``~user`` for a personal project."""
    if owner.startswith(PERSONAL_PREFIX):
        return "~" + owner[len(PERSONAL_PREFIX) :]
    return owner.lower()


def _full_branch_ref(branch: str) -> str:
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


@hookimpl
def jolli_register_providers(registry: ProviderRegistry) -> None:
    registry.add(BitbucketDataCenterProvider())
