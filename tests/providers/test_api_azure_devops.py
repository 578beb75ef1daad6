"""Azure DevOps API client against the documented shapes: Refs - List (``filter=heads/``) and Diffs - Get
(``diffs/commits?baseVersion=&targetVersion=``), personal access token as Basic auth."""

from __future__ import annotations

import base64

import pytest
import responses
from responses import matchers

from jolli.coordinates import RepoCoordinate
from jolli.http import ProviderError
from jolli.provider import IntegrationRef
from jolli.providers.api.azure_devops import API_VERSION, Client

TOKEN = "azdo-pat-0123456789abcdefghijklmnopqrstuv"
REPO = RepoCoordinate("dev.azure.com", "fabrikam/Fabrikam-Fiber", "Fabrikam-Fiber-Git")
API = "https://dev.azure.com/fabrikam/Fabrikam-Fiber/_apis/git/repositories/Fabrikam-Fiber-Git"
BASE, HEAD = "a511f535b1ea495ee0c903badb68fbc83772c882", "53d54ac915144006c2c9e90d2c7d3880920db49c"
AUTH = "Basic " + base64.b64encode(f":{TOKEN}".encode()).decode()


def client(host: str = "dev.azure.com", **kwargs: str) -> Client:
    return Client(IntegrationRef(provider="azure-devops", host=host, token=TOKEN, **kwargs))


def ref(name: str, sha: str) -> dict:
    return {"name": name, "objectId": sha, "creator": {"displayName": "Normal Paulk"},
            "url": f"{API}/refs?filter={name[5:]}"}


def change(path: str, kind: str = "edit", **extra: object) -> dict:
    return {"item": {"objectId": "b" * 40, "gitObjectType": "blob", "path": path, "url": f"{API}/items{path}"},
            "changeType": kind, **extra}


def diffs(ahead: int, behind: int, changes: list[dict], complete: bool = True) -> dict:
    return {"allChangesIncluded": complete, "changeCounts": {"Edit": len(changes)}, "changes": changes,
            "commonCommit": BASE, "baseCommit": BASE, "targetCommit": HEAD,
            "aheadCount": ahead, "behindCount": behind}


@responses.activate
def test_branch_head_takes_the_exact_ref_from_the_prefix_filter() -> None:
    responses.get(f"{API}/refs", json={"value": [ref("refs/heads/main-old", BASE), ref("refs/heads/main", HEAD)],
                                       "count": 2},
                  match=[matchers.query_param_matcher({"filter": "heads/main", "api-version": API_VERSION}),
                         matchers.header_matcher({"Authorization": AUTH})])
    assert client().branch_head(REPO, "main") == HEAD


@responses.activate
def test_branch_state_asks_the_refs_api_plainly_when_it_sends_no_etag_and_conditionally_when_it_does() -> None:
    query = matchers.query_param_matcher({"filter": "heads/main", "api-version": API_VERSION})
    responses.get(f"{API}/refs", json={"value": [ref("refs/heads/main", HEAD)], "count": 1}, match=[query])
    azdo = client()
    first = azdo.branch_state(REPO, "main")
    second = azdo.branch_state(REPO, "refs/heads/main", etag=first.etag, last_modified=first.last_modified)
    assert (first.head, first.etag, first.not_modified) == (HEAD, None, False)
    assert (second.head, second.not_modified) == (HEAD, False)
    assert "If-None-Match" not in responses.calls[1].request.headers
    assert responses.calls[1].request.headers["Authorization"] == AUTH

    responses.replace(responses.GET, f"{API}/refs", status=304, headers={"ETag": '"r1"'},
                      match=[matchers.header_matcher({"If-None-Match": '"r1"'}, strict_match=False)])
    again = azdo.branch_state(REPO, "main", etag='"r1"')
    assert (again.head, again.not_modified, again.etag) == (None, True, '"r1"')


@responses.activate
def test_branch_head_of_a_missing_branch_is_a_404_provider_error() -> None:
    responses.get(f"{API}/refs", json={"value": [], "count": 0})
    with pytest.raises(ProviderError) as caught:
        client().branch_head(REPO, "nope")
    assert caught.value.status_code == 404 and "no branch 'nope'" in str(caught.value)


@responses.activate
def test_compare_reads_ahead_behind_and_the_changed_files() -> None:
    responses.get(f"{API}/diffs/commits", json=diffs(2, 1, [
        change("/docs/a.md"), change("/docs", kind="edit") | {"item": {"path": "/docs", "isFolder": True}},
        change("/src/new.py", kind="rename", originalPath="/src/old.py"),
    ]), match=[matchers.query_param_matcher({
        "baseVersion": BASE, "baseVersionType": "commit", "targetVersion": HEAD, "targetVersionType": "commit",
        "$top": "100", "$skip": "0", "api-version": API_VERSION})])
    result = client().compare(REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by) == ("diverged", 2, 1)
    assert result.files == ("docs/a.md", "src/old.py", "src/new.py")


@responses.activate
def test_compare_of_branches_pages_through_the_changes() -> None:
    first = [change(f"/f{i}.md") for i in range(100)]
    responses.get(f"{API}/diffs/commits", json=diffs(3, 0, first, complete=False),
                  match=[matchers.query_param_matcher({"$skip": "0"}, strict_match=False)])
    responses.get(f"{API}/diffs/commits", json=diffs(3, 0, [change("/last.md")], complete=False),
                  match=[matchers.query_param_matcher({"$skip": "100", "baseVersionType": "branch"},
                                                      strict_match=False)])
    result = client().compare(REPO, "main", "feature")
    assert result.status == "ahead" and result.ahead_by == 3 and len(result.files) == 101
    assert result.files[-1] == "last.md"


@responses.activate
def test_a_server_uses_its_own_base_url_and_collection() -> None:
    repo = RepoCoordinate("tfs.corp.example", "DefaultCollection/project", "repo")
    url = "https://tfs.corp.example/tfs/DefaultCollection/project/_apis/git/repositories/repo/refs"
    responses.get(url, json={"value": [ref("refs/heads/main", HEAD)], "count": 1})
    assert client("tfs.corp.example", api_base_url="https://tfs.corp.example/tfs/").branch_head(repo, "main") == HEAD


@responses.activate
def test_errors_never_show_the_token() -> None:
    responses.get(f"{API}/refs", status=401, body=f"bad token {TOKEN}")
    with pytest.raises(ProviderError) as caught:
        client().branch_head(REPO, "main")
    assert TOKEN not in str(caught.value)
