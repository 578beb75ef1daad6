"""What the provider API clients share: the session, the API root, and ahead/behind to a status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jolli.coordinates import RepoCoordinate
from jolli.credential import Credential, NoCredential, TokenCredential
from jolli.http import ProviderError, ProviderSession, new_session, rate_limit_wait
from jolli.provider import BranchState, IntegrationRef, ProviderClient

from .base_urls import default_api_base_url

#: Safety bound for APIs that page through commits to count them (Bitbucket): at most this many pages.
MAX_PAGES = 100


def status_for(ahead: int, behind: int) -> str:
    """``identical``, ``ahead``, ``behind`` or ``diverged`` from the two commit counts."""
    if ahead and behind:
        return "diverged"
    if ahead:
        return "ahead"
    return "behind" if behind else "identical"


def unique_paths(paths: Iterable[str | None]) -> tuple[str, ...]:
    """The non-empty paths, first occurrence kept, in order."""
    return tuple(dict.fromkeys(p for p in paths if p))


class HttpClient(ProviderClient):
    """A :class:`ProviderClient` holding one :class:`ProviderSession` for one integration."""

    #: Provider name for :func:`default_api_base_url`.
    provider = ""
    #: Name used in error messages.
    label = ""

    def __init__(self, integration: IntegrationRef, *, session: ProviderSession | None = None) -> None:
        self.integration = integration
        base = integration.api_base_url or default_api_base_url(self.provider, integration.host)
        self.base_url = base.rstrip("/")
        self.session = session or new_session(label=self.label, headers=self.default_headers())
        self.credential: Credential = integration.credential or (
            TokenCredential(integration.token) if integration.token else NoCredential())
        self._own_secrets = self.session.secrets

    def get_json(self, url: str, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> tuple[Any, Any]:
        """GET with the credential's headers; after a 401 the credential is renewed and the call sent once more
        (an installation token revoked or expired early is minted again)."""
        for attempt in (1, 2):
            auth = self.credential.headers(self.auth_headers)
            self.session.secrets = self._own_secrets + self.credential.secrets()
            try:
                return self.session.get_json(url, params=params, headers={**auth, **(headers or {})})
            except ProviderError as exc:
                if attempt == 2 or exc.status_code != 401 or not self.credential.renew():
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def default_headers(self) -> dict[str, str]:
        """Headers sent with every call (``Accept`` ...)."""
        return {"Accept": "application/json"}

    def auth_headers(self, token: str) -> dict[str, str]:
        """Headers carrying the token; ``Authorization: Bearer`` unless the provider wants otherwise."""
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``base_url + path`` (or an absolute ``next`` URL) and return the decoded JSON."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        return self.get_json(url, params=params)[0]

    def expect(self, data: Any, key: str, what: str) -> Any:
        """``data[key]``, or a :class:`ProviderError` saying the answer had an unexpected shape."""
        if not isinstance(data, dict) or key not in data:
            raise ProviderError(f"{self.label} API answered {what} without '{key}'")
        return data[key]

    def branch_request(self, repo: RepoCoordinate, branch: str) -> tuple[str, dict[str, Any] | None]:
        """The one GET whose answer holds the branch's head: its path and query parameters."""
        raise NotImplementedError

    def branch_sha(self, data: Any, repo: RepoCoordinate, branch: str) -> str:
        """The head SHA in the answer to :meth:`branch_request` (a :class:`ProviderError` 404 when absent)."""
        raise NotImplementedError

    def branch_head(self, repo: RepoCoordinate, branch: str) -> str:
        """The SHA ``branch`` points at."""
        return str(self.branch_state(repo, branch).head)

    def branch_state(self, repo: RepoCoordinate, branch: str, *, etag: str | None = None,
                     last_modified: str | None = None) -> BranchState:
        """The branch's head by a conditional GET: with the validators of the last answer, an unchanged
        branch is a ``304 Not Modified`` (which GitHub does not count against the rate limit)."""
        path, params = self.branch_request(repo, branch)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        data, response = self.get_json(url, params=params, headers=headers)
        wait = rate_limit_wait(response.headers, response.status_code)
        if response.status_code == 304:
            return BranchState(None, etag, last_modified, not_modified=True, wait=wait)
        return BranchState(self.branch_sha(data, repo, branch), response.headers.get("ETag"),
                           response.headers.get("Last-Modified"), wait=wait)
