"""Default API roots per provider and host. Light on purpose (no ``requests``): the provider classes
may import it for ``GitProvider.default_api_base_url``."""

from __future__ import annotations

_PATTERNS = {
    "gitlab": "https://{host}/api/v4",
    "bitbucket-datacenter": "https://{host}/rest/api/1.0",
    "gitea": "https://{host}/api/v1",
    "azure-devops": "https://{host}",
}


def default_api_base_url(provider: str, host: str) -> str:
    """The API root of ``provider`` on ``host``: ``https://api.github.com`` for github.com,
    ``https://{host}/api/v3`` for GitHub Enterprise, ``https://{host}/api/v4`` for GitLab,
    ``https://api.bitbucket.org/2.0`` for Bitbucket Cloud, ``https://{host}/rest/api/1.0`` for Bitbucket
    Data Center, ``https://{host}/api/v1`` for Gitea/Forgejo/Gogs and ``https://{host}`` for Azure DevOps
    (its API paths start with the organization or collection: ``/{org}/{project}/_apis/...``)."""
    host = host.lower()
    name = provider.replace("_", "-").lower()
    if name == "github":
        return "https://api.github.com" if host in ("github.com", "www.github.com") else f"https://{host}/api/v3"
    if name == "bitbucket":
        return "https://api.bitbucket.org/2.0"
    if name in _PATTERNS:
        return _PATTERNS[name].format(host=host)
    raise ValueError(f"no default API base URL for provider '{provider}'")
