"""Gitea / Forgejo / Gogs provider: registration, URL shapes on registered hosts, every derivation."""

from __future__ import annotations

import sys
import types

import pytest

import jolli.providers.api
import jolli.providers.webhooks
from jolli.coordinates import RepoCoordinate, normalize
from jolli.errors import InvalidCoordinate
from jolli.provider import IntegrationRef
from jolli.providers import gitea
from jolli.registry import Plugins

PLUGINS = Plugins(load_entry_points=False)
assert PLUGINS.register(gitea, "gitea")
PROVIDER = PLUGINS.provider("gitea")
HOSTS = {"code.example.org": "gitea"}
REPO = RepoCoordinate("code.example.org", "team", "service")
SHA = "0123456789abcdef0123456789abcdef01234567"


def test_registered_by_its_hook_without_public_hosts() -> None:
    assert isinstance(PROVIDER, gitea.GiteaProvider)
    assert PROVIDER.hosts == () and PROVIDER.self_hosted and not PROVIDER.nested_namespaces


@pytest.mark.parametrize(
    "text",
    [
        "code.example.org/team/service",
        "https://code.example.org/team/service.git",
        "git@code.example.org:team/service.git",
        "ssh://git@code.example.org:2222/team/service.git",
        "https://code.example.org/team/service/src/branch/main/docs",
        "https://code.example.org/team/service/src/commit/" + SHA + "/a.go",
        "https://code.example.org/team/service/src/main/a.go",  # Gogs
        "https://code.example.org/team/service/commit/" + SHA,
        "https://code.example.org/team/service/pulls/4",
    ],
)
def test_url_shapes(text: str) -> None:
    assert normalize(text, extra_hosts=HOSTS, plugins=PLUGINS) == REPO


def test_no_nested_owners() -> None:
    with pytest.raises(InvalidCoordinate, match="does not have nested groups"):
        normalize("code.example.org/org/team/service", extra_hosts=HOSTS, plugins=PLUGINS)


def test_derivations() -> None:
    assert PROVIDER.https_clone_url(REPO) == "https://code.example.org/team/service.git"
    assert PROVIDER.ssh_clone_url(REPO) == "git@code.example.org:team/service.git"
    assert PROVIDER.web_url(REPO) == "https://code.example.org/team/service"
    assert PROVIDER.branch_url(REPO, "feature/x") == "https://code.example.org/team/service/src/branch/feature/x"
    assert PROVIDER.commit_url(REPO, SHA) == f"https://code.example.org/team/service/commit/{SHA}"
    assert PROVIDER.file_url(REPO, SHA, "a.go") == f"https://code.example.org/team/service/src/commit/{SHA}/a.go"
    assert PROVIDER.file_url(REPO, "main", "docs/a.md") == (
        "https://code.example.org/team/service/src/branch/main/docs/a.md"
    )


def test_api_base_url() -> None:
    assert PROVIDER.default_api_base_url("Code.Example.org") == "https://code.example.org/api/v1"


def test_webhooks_and_api_are_handed_to_their_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    hooks = types.SimpleNamespace(verify=lambda h, b, s: (h, b, s) == ({}, b"x", "s"), parse=lambda h, b: [b])
    api = types.SimpleNamespace(Client=lambda integration: ("client", integration))
    for package, module in ((jolli.providers.webhooks, hooks), (jolli.providers.api, api)):
        monkeypatch.setitem(sys.modules, f"{package.__name__}.gitea", module)
        monkeypatch.setattr(package, "gitea", module, raising=False)
    ref = IntegrationRef(provider="gitea", host="code.example.org")
    assert PROVIDER.verify_webhook({}, b"x", "s") is True
    assert PROVIDER.parse_webhook({}, b"x") == [b"x"]
    assert PROVIDER.client(ref) == ("client", ref)
