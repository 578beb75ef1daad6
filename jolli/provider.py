"""Base class of a git provider (GitHub, GitLab, Bitbucket, Gitea ...) and the values it exchanges.

A provider knows the URL shapes of its hosts, the derived URLs (clone, web, branch, commit, file),
how to verify and parse its push webhooks, and how to call its HTTP API. Subclass :class:`GitProvider`
and register an instance through the ``jolli_register_providers`` hook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from jolli.credential import TOKEN, BasicCredential, Credential, CredentialKind, NoCredential, TokenCredential
from jolli.errors import InvalidInput

if TYPE_CHECKING:  # pragma: no cover
    from jolli.repo_coordinate import RepoCoordinate

ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class CanonicalPush:
    """One ref update from a push webhook, in the provider-neutral form."""

    repo: str  # canonical host/owner/repo
    ref: str  # full ref name: refs/heads/main, refs/tags/v1
    before: str
    after: str
    forced: bool = False
    created: bool = False
    deleted: bool = False
    delivery_id: str | None = None
    received_at: datetime | None = None
    #: The commit ids the provider listed for the push (oldest first, as providers list them); jolli uses
    #: them as order evidence: each is a state the branch passed through before ``after``.
    commits: tuple[str, ...] = ()
    #: The GitHub App installation the delivery came through (``installation.id``), if any.
    installation_id: str | None = None

    @property
    def branch(self) -> str | None:
        """The branch name for a branch ref, else ``None``."""
        return self.ref[len("refs/heads/") :] if self.ref.startswith("refs/heads/") else None

    @property
    def tag(self) -> str | None:
        """The tag name for a tag ref, else ``None``."""
        return self.ref[len("refs/tags/") :] if self.ref.startswith("refs/tags/") else None


class WebhookIgnored(Exception):
    """A well-formed delivery that is not a push (ping, issue, other event type); answered 200 ``ignored``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CompareResult:
    """Where ``head`` stands relative to ``base`` according to the provider."""

    status: str  # ahead | behind | identical | diverged
    ahead_by: int = 0
    behind_by: int = 0
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntegrationRef:
    """What a provider API client needs from an integration (never logged: ``token``, ``password`` and
    ``private_key`` are secrets). ``credential`` is built from the rest by :meth:`GitProvider.credential`
    when not given."""

    provider: str
    host: str
    api_base_url: str | None = None
    token: str | None = field(default=None, repr=False)
    installation_id: str | None = None
    owner: str | None = None
    credential_kind: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    app_id: str | None = None
    private_key: str | None = field(default=None, repr=False)
    token_expires_at: datetime | None = None
    credential: Credential | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class BranchState:
    """A branch's head as a (conditional) request found it.

    ``not_modified``: the provider answered 304 to the validators sent (``head`` is then ``None``: the
    branch is where it was when ``etag``/``last_modified`` were given). ``wait``: seconds the provider
    asked to be left alone (its quota is spent), if it said so.
    """

    head: str | None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    wait: float | None = None


class ProviderClient:
    """HTTP API of one provider for one integration. Implemented per provider (uses ``requests``)."""

    def compare(self, repo: RepoCoordinate, base: str, head: str) -> CompareResult:
        raise NotImplementedError

    def branch_head(self, repo: RepoCoordinate, branch: str) -> str:
        raise NotImplementedError

    def branch_state(self, repo: RepoCoordinate, branch: str, *, etag: str | None = None,
                     last_modified: str | None = None) -> BranchState:
        """The branch's head, asked conditionally when the provider supports it (an unchanged branch
        costs a 304); a client without conditional requests just asks for the head."""
        return BranchState(head=self.branch_head(repo, branch))


class GitProvider:
    """A git hosting provider. Subclasses set the class attributes and override the shapes they know."""

    #: Unique name: github, gitlab, bitbucket, bitbucket-datacenter, gitea.
    name: str = ""
    #: Human name for listings.
    title: str = ""
    #: Public hosts this provider always owns (github.com). Self-hosted ones come from integrations.
    hosts: tuple[str, ...] = ()
    #: Whether instances can run on other hosts (GitHub Enterprise, GitLab self-managed, Gitea ...).
    self_hosted: bool = False
    #: Whether the owner part may span several segments (GitLab groups/subgroups).
    nested_namespaces: bool = False
    #: Other names of this provider's public hosts (``ssh.github.com``): alias -> canonical host.
    host_aliases: ClassVar[Mapping[str, str]] = {}
    #: Words in a host name that hint at this provider when no provider owns the host and the URL's
    #: shape says nothing (``gitlab`` in ``gitlab.corp.example``), as Renovate's ``detectPlatform`` does.
    host_hints: tuple[str, ...] = ()
    #: The credential shapes the provider's API accepts; the first is the default.
    credential_kinds: tuple[CredentialKind, ...] = (TOKEN,)

    # --- URL shapes -------------------------------------------------------------------------------
    def split_path(self, segments: Sequence[str]) -> tuple[str, str] | None:
        """Turn the path segments after the host into ``(owner, repo)``, dropping browser suffixes.

        ``owner`` may contain ``/`` only when :attr:`nested_namespaces` is true. Return ``None`` when the
        path is not a repository path of this provider.
        """
        raise NotImplementedError

    def split_host_path(self, host: str, segments: Sequence[str]) -> tuple[str, str] | None:
        """:meth:`split_path` for a path on ``host``; override when a host's shapes differ from its
        self-hosted siblings' (Azure DevOps' dev.azure.com against a Server)."""
        return self.split_path(segments)

    def fold_host(self, host: str, segments: Sequence[str]) -> tuple[str, Sequence[str]] | None:
        """Another name of one of this provider's hosts, as ``(canonical host, path segments)``; else ``None``.

        The default folds :attr:`host_aliases`; a provider whose aliases carry part of the path in the
        host name (Azure DevOps' ``org.visualstudio.com``) overrides it. Whether a host is folded must
        depend on the host alone (callers remember the answer per host).
        """
        canonical = self.host_aliases.get(host)
        return (canonical, segments) if canonical is not None else None

    def has_own_shape(self, segments: Sequence[str]) -> bool:
        """Whether a path has a shape only this provider writes (GitLab's ``/-/``, Azure DevOps' ``_git``).

        On a host no provider owns, such a shape (else a :attr:`host_hints` word in the host name) makes
        this provider the *inferred* one: it shapes the coordinate but is never trusted for webhooks or
        API calls.
        """
        return False

    def canonical_owner(self, owner: str) -> str:
        """An owner as coordinates of this provider spell it (Bitbucket Data Center: ``~jdoe`` -> ``_jdoe``).

        Used for integration owners, so an owner written as in the provider's own URLs is accepted.
        """
        return owner

    # --- derivations ------------------------------------------------------------------------------
    def https_clone_url(self, repo: RepoCoordinate) -> str:
        return f"https://{repo.host}/{repo.owner}/{repo.name}.git"

    def ssh_clone_url(self, repo: RepoCoordinate) -> str:
        return f"git@{repo.host}:{repo.owner}/{repo.name}.git"

    def web_url(self, repo: RepoCoordinate) -> str:
        return f"https://{repo.host}/{repo.owner}/{repo.name}"

    def branch_url(self, repo: RepoCoordinate, branch: str) -> str:
        raise NotImplementedError

    def commit_url(self, repo: RepoCoordinate, sha: str) -> str:
        raise NotImplementedError

    def file_url(self, repo: RepoCoordinate, ref: str, path: str) -> str:
        raise NotImplementedError

    # --- webhooks ---------------------------------------------------------------------------------
    def verify_webhook(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        """Check the delivery's signature (or token) against the integration's secret, in constant time."""
        raise NotImplementedError

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[CanonicalPush]:
        """Turn a verified delivery into its ref updates; raise :class:`WebhookIgnored` for non-pushes and
        :class:`jolli.errors.InvalidInput` for a body that cannot be parsed."""
        raise NotImplementedError

    # --- credentials ------------------------------------------------------------------------------
    def credential_kind(self, name: str | None) -> CredentialKind:
        """The kind called ``name`` (``None``: the default), or a 400 on ``credentialKind`` listing the kinds."""
        if name is None:
            return self.credential_kinds[0]
        for kind in self.credential_kinds:
            if kind.name == name:
                return kind
        names = ", ".join(k.name for k in self.credential_kinds)
        raise InvalidInput(f"provider {self.name!r} has no credential kind {name!r}; it takes {names}",
                           fields={"credentialKind": [f"must be one of {names}"]})

    def credential(self, integration: IntegrationRef) -> Credential:
        """The credential calls for ``integration`` use: its token, or its user name and password as Basic."""
        kind = self.credential_kind(integration.credential_kind)
        if "app_password" in kind.needs and integration.username and integration.password:
            return BasicCredential(integration.username, integration.password, kind.name, integration.owner,
                                   integration.token_expires_at)
        if integration.token:
            return TokenCredential(integration.token, kind.name, integration.owner, integration.token_expires_at)
        return NoCredential(kind.name, integration.owner)

    def check_credential(self, integration: IntegrationRef) -> dict[str, Any]:
        """Verify the credential when an integration is created or changed (a 4xx naming the field and the
        fix when it cannot work); return values found on the way to store with it (python names)."""
        return {}

    # --- HTTP API ---------------------------------------------------------------------------------
    def default_api_base_url(self, host: str) -> str:
        """The API root for a host (``https://api.github.com``, ``https://{host}/api/v4`` ...)."""
        raise NotImplementedError

    def client(self, integration: IntegrationRef) -> ProviderClient:
        """An API client for one integration; import ``requests`` lazily, inside this method."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "hosts": list(self.hosts),
            "selfHosted": self.self_hosted,
            "nestedNamespaces": self.nested_namespaces,
            "credentialKinds": [k.describe() for k in self.credential_kinds],
        }
