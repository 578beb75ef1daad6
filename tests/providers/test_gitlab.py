"""GitLab provider: registration, nested groups, ``/-/`` browser URLs, self-managed hosts, derivations."""

from __future__ import annotations

import sys
import types

import pytest

import jolli.providers.api
import jolli.providers.webhooks
from jolli.coordinates import RepoCoordinate, normalize, parse
from jolli.errors import InvalidCoordinate
from jolli.provider import IntegrationRef
from jolli.providers import gitlab
from jolli.registry import Plugins

PLUGINS = Plugins(load_entry_points=False)
assert PLUGINS.register(gitlab, "gitlab")
PROVIDER = PLUGINS.provider("gitlab")
SELF_MANAGED = {"git.example.com": "gitlab"}
REPO = RepoCoordinate("gitlab.com", "group/sub", "repo")
SHA = "0123456789abcdef0123456789abcdef01234567"


def test_registered_by_its_hook_with_nested_namespaces() -> None:
    assert isinstance(PROVIDER, gitlab.GitLabProvider)
    assert PLUGINS.providers.for_host("gitlab.com") is PROVIDER
    assert PROVIDER.nested_namespaces and PROVIDER.self_hosted


@pytest.mark.parametrize(
    "text",
    [
        "gitlab.com/group/sub/repo",
        "https://gitlab.com/group/sub/repo",
        "https://gitlab.com/group/sub/repo.git",
        "git@gitlab.com:group/sub/repo.git",
        "ssh://git@gitlab.com:2222/group/sub/repo.git",
        "https://oauth2:glpat-SECRET@gitlab.com/group/sub/repo.git",
        "https://gitlab.com/group/sub/repo/-/tree/main",
        "https://gitlab.com/group/sub/repo/-/tree/feature/x/src",
        "https://gitlab.com/group/sub/repo/-/blob/main/README.md",
        "https://gitlab.com/group/sub/repo/-/commit/" + SHA,
        "https://gitlab.com/group/sub/repo/-/merge_requests/7",
        "https://gitlab.com/group/sub/repo/tree/main",  # links from before GitLab 16
        "https://gitlab.com/group/sub/repo/blob/main/docs/a.md",
        "https://gitlab.com/group/sub/repo/commit/" + SHA,
    ],
)
def test_url_shapes(text: str) -> None:
    assert normalize(text, plugins=PLUGINS) == REPO


def test_any_depth_of_groups_and_a_single_owner() -> None:
    assert normalize("gitlab.com/a/b/c/d/e/repo", plugins=PLUGINS).owner == "a/b/c/d/e"
    assert normalize("https://gitlab.com/team/repo/-/tree/main", plugins=PLUGINS) == RepoCoordinate(
        "gitlab.com", "team", "repo"
    )


def test_groups_named_like_pages_still_nest_when_nothing_follows() -> None:
    assert normalize("gitlab.com/group/tree/repo", plugins=PLUGINS).owner == "group/tree"
    assert normalize("gitlab.com/group/sub/commits", plugins=PLUGINS).name == "commits"


def test_self_managed_host_registered_to_gitlab() -> None:
    coord = normalize("https://git.example.com/platform/tools/cli/-/blob/main/x", extra_hosts=SELF_MANAGED,
                      plugins=PLUGINS)
    assert str(coord) == "git.example.com/platform/tools/cli"
    assert parse("git.example.com/platform/tools/cli", extra_hosts=SELF_MANAGED, plugins=PLUGINS) == coord


@pytest.mark.parametrize("text", ["https://gitlab.com/-/ide/project", "https://gitlab.com/group/-/tree/main"])
def test_page_without_a_project_is_rejected(text: str) -> None:
    with pytest.raises(InvalidCoordinate, match="not a repository path on GitLab"):
        normalize(text, plugins=PLUGINS)


def test_derivations() -> None:
    assert PROVIDER.https_clone_url(REPO) == "https://gitlab.com/group/sub/repo.git"
    assert PROVIDER.ssh_clone_url(REPO) == "git@gitlab.com:group/sub/repo.git"
    assert PROVIDER.web_url(REPO) == "https://gitlab.com/group/sub/repo"
    assert PROVIDER.branch_url(REPO, "feature/x") == "https://gitlab.com/group/sub/repo/-/tree/feature/x"
    assert PROVIDER.commit_url(REPO, SHA) == f"https://gitlab.com/group/sub/repo/-/commit/{SHA}"
    assert PROVIDER.file_url(REPO, "main", "docs/a b.md") == "https://gitlab.com/group/sub/repo/-/blob/main/docs/a%20b.md"


def test_api_base_url() -> None:
    assert PROVIDER.default_api_base_url("gitlab.com") == "https://gitlab.com/api/v4"
    assert PROVIDER.default_api_base_url("Git.Example.com") == "https://git.example.com/api/v4"


def test_webhooks_and_api_are_handed_to_their_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    hooks = types.SimpleNamespace(verify=lambda h, b, s: (h, b, s) == ({}, b"x", "s"), parse=lambda h, b: [b])
    api = types.SimpleNamespace(Client=lambda integration: ("client", integration))
    for package, module in ((jolli.providers.webhooks, hooks), (jolli.providers.api, api)):
        monkeypatch.setitem(sys.modules, f"{package.__name__}.gitlab", module)
        monkeypatch.setattr(package, "gitlab", module, raising=False)
    ref = IntegrationRef(provider="gitlab", host="gitlab.com")
    assert PROVIDER.verify_webhook({}, b"x", "s") is True
    assert PROVIDER.parse_webhook({}, b"x") == [b"x"]
    assert PROVIDER.client(ref) == ("client", ref)
