"""Azure DevOps provider: registration, Services and Server shapes, derivations in Azure's own forms."""

from __future__ import annotations

import pytest

from jolli.coordinates import RepoCoordinate, describe, normalize, parse
from jolli.errors import InvalidCoordinate
from jolli.providers import azure_devops
from jolli.registry import Plugins

PLUGINS = Plugins(load_entry_points=False)
assert PLUGINS.register(azure_devops, "azure_devops")
PROVIDER = PLUGINS.provider("azure-devops")
SERVER = {"tfs.corp.example": "azure-devops"}
CLOUD = RepoCoordinate("dev.azure.com", "org", "repo")
REPO = RepoCoordinate("dev.azure.com", "org/project", "repo")
ON_SERVER = RepoCoordinate("tfs.corp.example", "DefaultCollection/project", "repo")
SHA = "33b55f7cb7e7e245323987634f960cf4a6e6bc74"


def test_registered_by_its_hook_owning_dev_azure_com() -> None:
    assert isinstance(PROVIDER, azure_devops.AzureDevOpsProvider)
    assert PLUGINS.providers.for_host("dev.azure.com") is PROVIDER
    assert PROVIDER.self_hosted and PROVIDER.nested_namespaces
    assert PROVIDER.describe()["hosts"] == ["dev.azure.com"]


def test_the_owner_is_org_and_project_in_strict_coordinates() -> None:
    assert parse("dev.azure.com/org/project/repo", plugins=PLUGINS) == REPO
    with pytest.raises(InvalidCoordinate):
        normalize("dev.azure.com/org/repo", plugins=PLUGINS)  # the project is missing


@pytest.mark.parametrize(
    "text",
    [
        "https://tfs.corp.example/DefaultCollection/project/_git/repo",
        "https://tfs.corp.example/DefaultCollection/project/_git/repo?path=/a.md&version=GBmain",
        "ssh://tfs.corp.example:22/DefaultCollection/project/_git/repo",
        "tfs.corp.example/DefaultCollection/project/repo",
    ],
)
def test_server_forms_keep_the_collection(text: str) -> None:
    assert normalize(text, extra_hosts=SERVER, plugins=PLUGINS) == ON_SERVER


def test_derivations_on_services() -> None:
    assert PROVIDER.https_clone_url(REPO) == "https://dev.azure.com/org/project/_git/repo"
    assert PROVIDER.ssh_clone_url(REPO) == "git@ssh.dev.azure.com:v3/org/project/repo"
    assert PROVIDER.web_url(REPO) == "https://dev.azure.com/org/project/_git/repo"
    assert PROVIDER.branch_url(REPO, "feature/x") == "https://dev.azure.com/org/project/_git/repo?version=GBfeature/x"
    assert PROVIDER.commit_url(REPO, SHA) == f"https://dev.azure.com/org/project/_git/repo/commit/{SHA}"
    assert PROVIDER.file_url(REPO, "main", "/docs/a b.md") == (
        "https://dev.azure.com/org/project/_git/repo?path=/docs/a%20b.md&version=GBmain"
    )
    assert PROVIDER.file_url(REPO, SHA, "README.md").endswith(f"?path=/README.md&version=GC{SHA}")


def test_derivations_on_a_server() -> None:
    assert PROVIDER.https_clone_url(ON_SERVER) == "https://tfs.corp.example/DefaultCollection/project/_git/repo"
    assert PROVIDER.ssh_clone_url(ON_SERVER) == "ssh://tfs.corp.example:22/DefaultCollection/project/_git/repo"
    info = describe(ON_SERVER, extra_hosts=SERVER, plugins=PLUGINS)
    assert info["provider"] == "azure-devops" and info["apiBaseUrl"] == "https://tfs.corp.example"


def test_every_derived_url_normalizes_back_to_the_coordinate() -> None:
    for coord, hosts in ((REPO, None), (ON_SERVER, SERVER)):
        for url in (PROVIDER.https_clone_url(coord), PROVIDER.ssh_clone_url(coord), PROVIDER.branch_url(coord, "main"),
                    PROVIDER.commit_url(coord, SHA), PROVIDER.file_url(coord, "main", "a/b.md")):
            assert normalize(url, extra_hosts=hosts, plugins=PLUGINS) == coord, url


def test_pages_that_are_not_repositories_are_refused_with_the_shapes() -> None:
    for text in ("https://dev.azure.com/org/project/_build/results", str(CLOUD)):  # a page; no project
        with pytest.raises(InvalidCoordinate) as caught:
            normalize(text, plugins=PLUGINS)
        assert "Azure DevOps repositories look like https://dev.azure.com/ORG/PROJECT/_git/REPO" in caught.value.message
    with pytest.raises(InvalidCoordinate) as caught:
        normalize("https://dev.azure.com/org/project/_settings", plugins=PLUGINS)
    assert "do not start with '_'" in caught.value.message
