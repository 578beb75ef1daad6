"""Bitbucket Data Center API client against the documented paged shapes (commits, compare/changes,
branches), including personal projects."""

from __future__ import annotations

import pytest
import requests
import responses
from responses import matchers

from jolli.coordinates import RepoCoordinate
from jolli.http import ProviderError
from jolli.provider import IntegrationRef
from jolli.providers.api.bitbucket_datacenter import Client

TOKEN = "BBDC-NzQ5ODk2OTk0NjU2OkHTTPAccessToken"
HOST = "bitbucket.example.com"
PROJECT_REPO = RepoCoordinate(HOST, "PRJ", "my-repo")
PERSONAL_REPO = RepoCoordinate(HOST, "_gopher", "webhook-test")
API = f"https://{HOST}/rest/api/1.0/projects/PRJ/repos/my-repo"
BASE, HEAD = "32a0b8a740c2963c6f56bd8baf3dc05683d299e0", "def0123456789abcdef0123456789abcdef01234"


def client() -> Client:
    return Client(IntegrationRef(provider="bitbucket-datacenter", host=HOST, token=TOKEN))


def commit(sha: str) -> dict:
    return {"id": sha, "displayId": sha[:11], "author": {"name": "charlie", "emailAddress": "charlie@example.com"},
            "authorTimestamp": 1548720847608, "message": "More work on feature 1",
            "parents": [{"id": BASE, "displayId": BASE[:11]}]}


def paged(values: list, start: int, last: bool) -> dict:
    body = {"size": len(values), "limit": 100, "isLastPage": last, "values": values, "start": start}
    if not last:
        body["nextPageStart"] = start + len(values)
    return body


def mock_commits(api: str, since: str, until: str, pages: list[int]) -> None:
    start = 0
    for index, count in enumerate(pages):
        last = index == len(pages) - 1
        responses.get(f"{api}/commits", json=paged([commit(until)] * count, start, last), match=[
            matchers.query_param_matcher({"since": since, "until": until, "start": str(start), "limit": "100"})])
        start += count


def change(kind: str, path: str, src: str | None = None) -> dict:
    def path_obj(p: str) -> dict:
        parent, _, name = p.rpartition("/")
        return {"components": p.split("/"), "parent": parent, "name": name,
                "extension": name.rpartition(".")[2], "toString": p}

    item = {"contentId": "abcdef0123", "fromContentId": "bcdef01234", "path": path_obj(path), "executable": False,
            "percentUnchanged": -1, "type": kind, "nodeType": "FILE", "srcExecutable": False,
            "links": {"self": [{"href": f"https://{HOST}/projects/PRJ/repos/my-repo/browse/{path}"}]},
            "properties": {"gitChangeType": kind}}
    if src:
        item["srcPath"] = path_obj(src)
    return item


@responses.activate
def test_compare_pages_through_commits_and_changes() -> None:
    mock_commits(API, BASE, HEAD, [100, 20])
    mock_commits(API, HEAD, BASE, [0])
    responses.get(f"{API}/compare/changes", json=paged([change("MODIFY", "src/a.py")], 0, False), match=[
        matchers.query_param_matcher({"from": HEAD, "to": BASE, "start": "0", "limit": "100"})])
    responses.get(f"{API}/compare/changes", json=paged([change("MOVE", "src/new.py", "src/old.py"),
                                                      change("ADD", "README.md")], 1, True), match=[
        matchers.query_param_matcher({"from": HEAD, "to": BASE, "start": "1", "limit": "100"})])
    result = client().compare(PROJECT_REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by) == ("ahead", 120, 0)
    assert result.files == ("src/a.py", "src/old.py", "src/new.py", "README.md")
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


@responses.activate
def test_personal_project_uses_the_tilde_key_and_detects_behind() -> None:
    api = f"https://{HOST}/rest/api/1.0/projects/~gopher/repos/webhook-test"
    mock_commits(api, BASE, HEAD, [0])
    mock_commits(api, HEAD, BASE, [3])
    result = client().compare(PERSONAL_REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by, result.files) == ("behind", 0, 3, ())


@responses.activate
def test_branch_head_picks_the_exact_match() -> None:
    responses.get(f"{API}/branches", match=[matchers.query_param_matcher(
        {"filterText": "feature/wip", "start": "0", "limit": "100"})], json=paged([
            {"id": "refs/heads/feature/wip-2", "displayId": "feature/wip-2", "type": "BRANCH",
             "latestCommit": BASE, "latestChangeset": BASE, "isDefault": False},
            {"id": "refs/heads/feature/wip", "displayId": "feature/wip", "type": "BRANCH",
             "latestCommit": HEAD, "latestChangeset": HEAD, "isDefault": False},
        ], 0, True))
    assert client().branch_head(PROJECT_REPO, "feature/wip") == HEAD


@responses.activate
def test_unknown_branch_is_not_found() -> None:
    responses.get(f"{API}/branches", json=paged([], 0, True))
    with pytest.raises(ProviderError) as caught:
        client().branch_head(PROJECT_REPO, "nope")
    assert caught.value.not_found


@responses.activate
def test_retries_on_502_and_429() -> None:
    responses.get(f"{API}/branches", status=502)
    responses.get(f"{API}/branches", status=429, headers={"Retry-After": "0"})
    responses.get(f"{API}/branches", json=paged([{"id": "refs/heads/main", "displayId": "main",
                                                  "latestCommit": HEAD}], 0, True))
    assert client().branch_head(PROJECT_REPO, "main") == HEAD


@responses.activate
def test_errors_never_show_the_token() -> None:
    responses.get(f"{API}/commits", status=401, json={"errors": [{
        "context": None, "message": f"Authentication failed for token {TOKEN}",
        "exceptionName": "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}]})
    with pytest.raises(ProviderError) as caught:
        client().compare(PROJECT_REPO, BASE, HEAD)
    assert "Authentication failed for token ***" in caught.value.message and TOKEN not in caught.value.message
    responses.replace(responses.GET, f"{API}/commits", body=requests.ConnectTimeout())
    with pytest.raises(ProviderError, match="timed out"):
        client().compare(PROJECT_REPO, BASE, HEAD)
