"""GitHub provider: registration, URL shapes (github.com and Enterprise hosts), every derivation."""

from __future__ import annotations

import sys
import types

import pytest

import jolli.providers.api
import jolli.providers.webhooks
from jolli.coordinates import RepoCoordinate, normalize
from jolli.errors import InvalidCoordinate
from jolli.provider import IntegrationRef
from jolli.providers import github
from jolli.registry import Plugins

PLUGINS = Plugins(load_entry_points=False)
assert PLUGINS.register(github, "github")
PROVIDER = PLUGINS.provider("github")
GHE = {"ghe.example.com": "github"}
REPO = RepoCoordinate("github.com", "Org", "Repo")
SHA = "0123456789abcdef0123456789abcdef01234567"


def test_registered_by_its_hook_with_its_hosts() -> None:
    assert isinstance(PROVIDER, github.GitHubProvider)
    assert PROVIDER.title == "GitHub"
    assert PLUGINS.providers.for_host("GitHub.com") is PROVIDER
    assert PROVIDER.self_hosted and not PROVIDER.nested_namespaces


@pytest.mark.parametrize(
    "text",
    [
        "github.com/Org/Repo",
        "https://github.com/Org/Repo",
        "https://github.com/Org/Repo.git",
        "git@github.com:Org/Repo.git",
        "ssh://git@github.com/Org/Repo.git",
        "https://github.com/Org/Repo/tree/feature/login",
        "https://github.com/Org/Repo/blob/main/docs/guide.md",
        "https://github.com/Org/Repo/commit/" + SHA,
        "https://github.com/Org/Repo/pull/42/files",
        "https://github.com/Org/Repo/releases/tag/v1.0",
        "https://github.com/Org/Repo.git/info/refs?service=git-upload-pack",
    ],
)
def test_url_shapes(text: str) -> None:
    assert normalize(text, plugins=PLUGINS) == REPO


def test_enterprise_host_has_the_same_shapes() -> None:
    assert str(normalize("https://GHE.example.com/Org/Repo/tree/main", extra_hosts=GHE, plugins=PLUGINS)) == (
        "ghe.example.com/Org/Repo"
    )


@pytest.mark.parametrize("text", ["github.com/Org/Team/Repo", "https://github.com/Org/Repo/not-a-page"])
def test_no_nested_owners(text: str) -> None:
    with pytest.raises(InvalidCoordinate, match="does not have nested groups"):
        normalize(text, plugins=PLUGINS)


def test_derivations() -> None:
    assert PROVIDER.https_clone_url(REPO) == "https://github.com/Org/Repo.git"
    assert PROVIDER.ssh_clone_url(REPO) == "git@github.com:Org/Repo.git"
    assert PROVIDER.web_url(REPO) == "https://github.com/Org/Repo"
    assert PROVIDER.branch_url(REPO, "feature/login") == "https://github.com/Org/Repo/tree/feature/login"
    assert PROVIDER.commit_url(REPO, SHA) == f"https://github.com/Org/Repo/commit/{SHA}"
    assert PROVIDER.file_url(REPO, "main", "docs/guide.md") == "https://github.com/Org/Repo/blob/main/docs/guide.md"
    assert PROVIDER.file_url(REPO, SHA, "/a b/#1.md") == f"https://github.com/Org/Repo/blob/{SHA}/a%20b/%231.md"
    assert PROVIDER.branch_url(REPO, "fix#1?") == "https://github.com/Org/Repo/tree/fix%231%3F"


def test_api_base_url() -> None:
    assert PROVIDER.default_api_base_url("github.com") == "https://api.github.com"
    assert PROVIDER.default_api_base_url("GHE.example.com") == "https://ghe.example.com/api/v3"


def test_webhooks_and_api_are_handed_to_their_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    hooks = types.SimpleNamespace(verify=lambda *a: calls.append(("verify", a)) or True,
                                  parse=lambda *a: calls.append(("parse", a)) or ["push"])
    api = types.SimpleNamespace(Client=lambda integration: ("client", integration))
    for package, module in ((jolli.providers.webhooks, hooks), (jolli.providers.api, api)):
        monkeypatch.setitem(sys.modules, f"{package.__name__}.github", module)
        monkeypatch.setattr(package, "github", module, raising=False)
    ref = IntegrationRef(provider="github", host="github.com")
    assert PROVIDER.verify_webhook({"h": "v"}, b"body", "s") is True
    assert PROVIDER.parse_webhook({"h": "v"}, b"body") == ["push"]
    assert PROVIDER.client(ref) == ("client", ref)
    assert calls == [("verify", ({"h": "v"}, b"body", "s")), ("parse", ({"h": "v"}, b"body"))]
