"""Bitbucket Cloud API client against the documented shapes (commits, diffstat, refs/branches)."""

from __future__ import annotations

import pytest
import requests
import responses
from responses import matchers

from jolli.coordinates import RepoCoordinate
from jolli.http import ProviderError
from jolli.provider import IntegrationRef
from jolli.providers.api.bitbucket import Client

TOKEN = "ATCTT3xFfGN0-bitbucket-access-token"
REPO = RepoCoordinate("bitbucket.org", "atlassian", "geordi")
API = "https://api.bitbucket.org/2.0/repositories/atlassian/geordi"
BASE, HEAD = "d222fa235229c55dad20b190b0b571adf737d5a6", "f7591a13eda445d9a9167f98eb870319f4b6c2d8"


def client() -> Client:
    return Client(IntegrationRef(provider="bitbucket", host="bitbucket.org", token=TOKEN))


def commit(sha: str) -> dict:
    return {"type": "commit", "hash": sha, "date": "2024-10-30T03:36:56+00:00",
            "message": "Add a GEORDI_OUTPUT_DIR setting\n",
            "links": {"self": {"href": f"{API}/commit/{sha}"}, "html": {"href": f"https://bitbucket.org/atlassian/geordi/commits/{sha}"}},
            "parents": [{"type": "commit", "hash": BASE, "links": {"self": {"href": f"{API}/commit/{BASE}"}}}]}


def mock_commits(include: str, exclude: str, count: int, pagelen: int = 2) -> None:
    """``count`` commits over pages of ``pagelen``, each page linking to the next like Bitbucket does."""
    pages = [list(range(count))[i : i + pagelen] for i in range(0, count, pagelen)] or [[]]
    for number, page in enumerate(pages, start=1):
        body: dict = {"pagelen": pagelen, "values": [commit(HEAD) for _ in page]}
        query = {"include": include, "exclude": exclude, "pagelen": "100"}
        if number < len(pages):
            body["next"] = f"{API}/commits?include={include}&exclude={exclude}&page={number + 1}"
        if number > 1:
            query = {"include": include, "exclude": exclude, "page": str(number)}
        responses.get(f"{API}/commits", json=body, match=[matchers.query_param_matcher(query)])


def diffstat(status: str, old: str | None, new: str | None) -> dict:
    def side(path: str | None) -> dict | None:
        if path is None:
            return None
        return {"path": path, "type": "commit_file", "escaped_path": path,
                "links": {"self": {"href": f"{API}/src/{HEAD}/{path}"}}}

    return {"type": "diffstat", "status": status, "lines_removed": 1, "lines_added": 2,
            "old": side(old), "new": side(new)}


@responses.activate
def test_compare_counts_commits_across_pages_and_lists_diffstat() -> None:
    mock_commits(HEAD, BASE, 3)
    mock_commits(BASE, HEAD, 0)
    spec = f"{API}/diffstat/{HEAD}..{BASE}"
    responses.get(spec, match=[matchers.query_param_matcher({"topic": "true"})], json={
        "pagelen": 2, "values": [diffstat("modified", "README.md", "README.md"), diffstat("added", None, "docs/new.md")],
        "page": 1, "size": 4, "next": f"{spec}?topic=true&page=2"})
    responses.get(spec, match=[matchers.query_param_matcher({"topic": "true", "page": "2"})], json={
        "pagelen": 2, "values": [diffstat("renamed", "docs/a.md", "docs/b.md"), diffstat("removed", "old.txt", None)],
        "page": 2, "size": 4})
    result = client().compare(REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by) == ("ahead", 3, 0)
    assert result.files == ("README.md", "docs/new.md", "docs/a.md", "docs/b.md", "old.txt")
    assert all(c.request.headers["Authorization"] == f"Bearer {TOKEN}" for c in responses.calls)


@responses.activate
def test_behind_needs_no_diffstat() -> None:
    mock_commits(HEAD, BASE, 0)
    mock_commits(BASE, HEAD, 2)
    result = client().compare(REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by, result.files) == ("behind", 0, 2, ())


@responses.activate
def test_identical() -> None:
    mock_commits(HEAD, BASE, 0)
    mock_commits(BASE, HEAD, 0)
    assert client().compare(REPO, BASE, HEAD).status == "identical"


@responses.activate
def test_diverged() -> None:
    mock_commits(HEAD, BASE, 1)
    mock_commits(BASE, HEAD, 5)
    responses.get(f"{API}/diffstat/{HEAD}..{BASE}", json={"pagelen": 500, "values": [
        diffstat("modified", "a.txt", "a.txt")], "page": 1, "size": 1})
    result = client().compare(REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by, result.files) == ("diverged", 1, 5, ("a.txt",))


@responses.activate
def test_branch_head() -> None:
    responses.get(f"{API}/refs/branches/master", json={
        "name": "master", "type": "branch", "target": commit(HEAD),
        "links": {"html": {"href": "https://bitbucket.org/atlassian/geordi/branch/master"}},
        "merge_strategies": ["merge_commit", "squash", "fast_forward"], "default_merge_strategy": "merge_commit"})
    assert client().branch_head(REPO, "master") == HEAD


@responses.activate
def test_branch_head_with_a_slash_filters_the_list() -> None:
    responses.get(f"{API}/refs/branches", match=[matchers.query_param_matcher({"q": 'name = "feature/x"'})], json={
        "pagelen": 10, "page": 1, "size": 1,
        "values": [{"name": "feature/x", "type": "branch", "target": commit(BASE)}]})
    assert client().branch_head(REPO, "feature/x") == BASE


@responses.activate
def test_missing_branch_with_a_slash() -> None:
    responses.get(f"{API}/refs/branches", json={"pagelen": 10, "page": 1, "size": 0, "values": []})
    with pytest.raises(ProviderError) as caught:
        client().branch_head(REPO, "feature/x")
    assert caught.value.not_found


@responses.activate
def test_retries_on_502_and_429() -> None:
    url = f"{API}/refs/branches/master"
    responses.get(url, status=502)
    responses.get(url, status=429, headers={"Retry-After": "0"})
    responses.get(url, json={"name": "master", "target": commit(HEAD)})
    assert client().branch_head(REPO, "master") == HEAD


@responses.activate
def test_errors_never_show_the_token() -> None:
    responses.get(f"{API}/refs/branches/master", status=403,
                  json={"type": "error", "error": {"message": f"Token {TOKEN} lacks repository:read"}})
    responses.get(f"{API}/refs/branches/dev", body=requests.ReadTimeout())
    with pytest.raises(ProviderError) as caught:
        client().branch_head(REPO, "master")
    assert caught.value.message.endswith("answered 403 Forbidden: Token *** lacks repository:read")
    with pytest.raises(ProviderError, match="timed out") as caught:
        client().branch_head(REPO, "dev")
    assert TOKEN not in caught.value.message
