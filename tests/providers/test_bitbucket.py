"""Bitbucket Cloud provider: registration, URL shapes on bitbucket.org, every derivation."""

from __future__ import annotations

import sys
import types

import pytest

import jolli.providers.api
import jolli.providers.webhooks
from jolli.coordinates import RepoCoordinate, normalize
from jolli.errors import InvalidCoordinate
from jolli.provider import IntegrationRef
from jolli.providers import bitbucket
from jolli.registry import Plugins

PLUGINS = Plugins(load_entry_points=False)
assert PLUGINS.register(bitbucket, "bitbucket")
PROVIDER = PLUGINS.provider("bitbucket")
REPO = RepoCoordinate("bitbucket.org", "team", "infra")
SHA = "0123456789abcdef0123456789abcdef01234567"


def test_registered_by_its_hook_for_bitbucket_org_only() -> None:
    assert isinstance(PROVIDER, bitbucket.BitbucketProvider)
    assert PROVIDER.title == "Bitbucket Cloud"
    assert PLUGINS.providers.for_host("bitbucket.org") is PROVIDER
    assert not PROVIDER.self_hosted and not PROVIDER.nested_namespaces


@pytest.mark.parametrize(
    "text",
    [
        "bitbucket.org/team/infra",
        "https://bitbucket.org/team/infra",
        "https://jane@bitbucket.org/team/infra.git",
        "https://x-token-auth:SECRET@bitbucket.org/team/infra.git",
        "git@bitbucket.org:team/infra.git",
        "https://bitbucket.org/team/infra/src/main/",
        "https://bitbucket.org/team/infra/src/main/docs/a.md?at=main",
        "https://bitbucket.org/team/infra/branch/feature/x",
        "https://bitbucket.org/team/infra/commits/" + SHA,
        "https://bitbucket.org/team/infra/pull-requests/3/overview",
    ],
)
def test_url_shapes(text: str) -> None:
    assert normalize(text, plugins=PLUGINS) == REPO


def test_no_projects_in_the_path() -> None:
    with pytest.raises(InvalidCoordinate, match="does not have nested groups"):
        normalize("bitbucket.org/team/project/infra", plugins=PLUGINS)


def test_derivations() -> None:
    assert PROVIDER.https_clone_url(REPO) == "https://bitbucket.org/team/infra.git"
    assert PROVIDER.ssh_clone_url(REPO) == "git@bitbucket.org:team/infra.git"
    assert PROVIDER.web_url(REPO) == "https://bitbucket.org/team/infra"
    assert PROVIDER.branch_url(REPO, "feature/x") == "https://bitbucket.org/team/infra/branch/feature/x"
    assert PROVIDER.commit_url(REPO, SHA) == f"https://bitbucket.org/team/infra/commits/{SHA}"
    assert PROVIDER.file_url(REPO, "main", "docs/a.md") == "https://bitbucket.org/team/infra/src/main/docs/a.md"


def test_api_base_url() -> None:
    assert PROVIDER.default_api_base_url("bitbucket.org") == "https://api.bitbucket.org/2.0"


def test_webhooks_and_api_are_handed_to_their_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    hooks = types.SimpleNamespace(verify=lambda h, b, s: (h, b, s) == ({}, b"x", "s"), parse=lambda h, b: [b])
    api = types.SimpleNamespace(Client=lambda integration: ("client", integration))
    for package, module in ((jolli.providers.webhooks, hooks), (jolli.providers.api, api)):
        monkeypatch.setitem(sys.modules, f"{package.__name__}.bitbucket", module)
        monkeypatch.setattr(package, "bitbucket", module, raising=False)
    ref = IntegrationRef(provider="bitbucket", host="bitbucket.org")
    assert PROVIDER.verify_webhook({}, b"x", "s") is True
    assert PROVIDER.parse_webhook({}, b"x") == [b"x"]
    assert PROVIDER.client(ref) == ("client", ref)
