"""Bitbucket Data Center provider: /scm and /projects shapes, project-key owners, personal repos, derivations."""

from __future__ import annotations

import sys
import types

import pytest

import jolli.providers.api
import jolli.providers.webhooks
from jolli.coordinates import RepoCoordinate, normalize
from jolli.errors import InvalidCoordinate
from jolli.provider import IntegrationRef
from jolli.providers import bitbucket_datacenter
from jolli.registry import Plugins

PLUGINS = Plugins(load_entry_points=False)
assert PLUGINS.register(bitbucket_datacenter, "bitbucket_datacenter")
PROVIDER = PLUGINS.provider("bitbucket-datacenter")
HOSTS = {"git.corp.example": "bitbucket-datacenter"}
REPO = RepoCoordinate("git.corp.example", "PROJ", "repo")
PERSONAL = RepoCoordinate("git.corp.example", "_jane", "notes")
SHA = "0123456789abcdef0123456789abcdef01234567"


def norm(text: str) -> RepoCoordinate:
    return normalize(text, extra_hosts=HOSTS, plugins=PLUGINS)


def test_registered_by_its_hook_without_public_hosts() -> None:
    assert isinstance(PROVIDER, bitbucket_datacenter.BitbucketDataCenterProvider)
    assert PROVIDER.hosts == () and PROVIDER.self_hosted
    assert PLUGINS.providers.for_host("git.corp.example") is None  # only through an integration's host


@pytest.mark.parametrize(
    "text",
    [
        "git.corp.example/PROJ/repo",
        "git.corp.example/proj/repo",
        "https://git.corp.example/scm/proj/repo.git",
        "https://jane@git.corp.example/scm/PROJ/repo.git",
        "ssh://git@git.corp.example:7999/proj/repo.git",
        "https://git.corp.example/projects/PROJ/repos/repo",
        "https://git.corp.example/projects/PROJ/repos/repo/browse",
        "https://git.corp.example/projects/PROJ/repos/repo/browse/src/a.py?at=refs%2Fheads%2Fmain",
        "https://git.corp.example/projects/proj/repos/repo/commits/" + SHA,
        "https://git.corp.example/projects/PROJ/repos/repo/pull-requests/5/overview",
    ],
)
def test_url_shapes_all_give_the_upper_case_project_key(text: str) -> None:
    assert norm(text) == REPO


@pytest.mark.parametrize(
    "text",
    [
        "https://git.corp.example/scm/~jane/notes.git",
        "ssh://git@git.corp.example:7999/~Jane/notes.git",
        "https://git.corp.example/users/jane/repos/notes/browse",
        "git.corp.example/_jane/notes",
    ],
)
def test_personal_repositories_get_an_underscore_owner(text: str) -> None:
    assert norm(text) == PERSONAL


@pytest.mark.parametrize(
    "text",
    ["https://git.corp.example/plugins/servlet/x/y", "https://git.corp.example/scm/~/notes.git",
     "https://git.corp.example/dashboard"],
)
def test_other_paths_are_rejected_with_the_accepted_shapes(text: str) -> None:
    with pytest.raises(InvalidCoordinate, match="/scm/PROJECT/repo.git, /projects/PROJECT/repos/repo"):
        norm(text)


def test_derivations() -> None:
    assert PROVIDER.https_clone_url(REPO) == "https://git.corp.example/scm/proj/repo.git"
    assert PROVIDER.ssh_clone_url(REPO) == "ssh://git@git.corp.example:7999/proj/repo.git"
    assert PROVIDER.web_url(REPO) == "https://git.corp.example/projects/PROJ/repos/repo/browse"
    assert PROVIDER.branch_url(REPO, "feature/x") == (
        "https://git.corp.example/projects/PROJ/repos/repo/browse?at=refs/heads/feature/x"
    )
    assert PROVIDER.branch_url(REPO, "refs/heads/main") == (
        "https://git.corp.example/projects/PROJ/repos/repo/browse?at=refs/heads/main"
    )
    assert PROVIDER.commit_url(REPO, SHA) == f"https://git.corp.example/projects/PROJ/repos/repo/commits/{SHA}"
    assert PROVIDER.file_url(REPO, "main", "src/a.py") == (
        "https://git.corp.example/projects/PROJ/repos/repo/browse/src/a.py?at=main"
    )


def test_personal_derivations() -> None:
    assert PROVIDER.https_clone_url(PERSONAL) == "https://git.corp.example/scm/~jane/notes.git"
    assert PROVIDER.ssh_clone_url(PERSONAL) == "ssh://git@git.corp.example:7999/~jane/notes.git"
    assert PROVIDER.web_url(PERSONAL) == "https://git.corp.example/users/jane/repos/notes/browse"


def test_a_subclass_can_use_another_ssh_port() -> None:
    class OnPort22(bitbucket_datacenter.BitbucketDataCenterProvider):
        ssh_port = 22

    assert OnPort22().ssh_clone_url(REPO) == "ssh://git@git.corp.example:22/proj/repo.git"


def test_api_base_url() -> None:
    assert PROVIDER.default_api_base_url("git.corp.example") == "https://git.corp.example/rest/api/1.0"


def test_webhooks_and_api_are_handed_to_their_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    hooks = types.SimpleNamespace(verify=lambda h, b, s: (h, b, s) == ({}, b"x", "s"), parse=lambda h, b: [b])
    api = types.SimpleNamespace(Client=lambda integration: ("client", integration))
    for package, module in ((jolli.providers.webhooks, hooks), (jolli.providers.api, api)):
        monkeypatch.setitem(sys.modules, f"{package.__name__}.bitbucket_datacenter", module)
        monkeypatch.setattr(package, "bitbucket_datacenter", module, raising=False)
    ref = IntegrationRef(provider="bitbucket-datacenter", host="git.corp.example")
    assert PROVIDER.verify_webhook({}, b"x", "s") is True
    assert PROVIDER.parse_webhook({}, b"x") == [b"x"]
    assert PROVIDER.client(ref) == ("client", ref)
